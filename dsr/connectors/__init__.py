"""Connectors: data systems whose tasks dsr carries out itself (dsr.connectors.sql)."""
