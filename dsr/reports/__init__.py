"""Reports for auditors, DPOs and managers (issue 13): yearly metrics, the request log, the dashboard."""
