"""Labels for the public form. Codes follow docs/legal.md §1 (ISO 3166)."""

TYPES = [
    ("access", "See my data", "Get a copy of the personal data we hold about you."),
    ("correction", "Correct my data", "Fix personal data about you that is wrong or incomplete."),
    ("deletion", "Delete my data", "Erase the personal data we hold about you."),
    (
        "output_removal",
        "Stop our models producing my data",
        "Stop our AI models from producing personal data about you in their answers.",
    ),
    (
        "objection",
        "Stop using my data",
        "Object to a use of your data, for example to train our models.",
    ),
    (
        "opt_out",
        "Do not sell or share my data",
        "Opt out of the sale or sharing of your personal information and of targeted advertising."
        " No confirmation is needed.",
    ),
]
TYPE_LABELS = {value: label for value, label, _ in TYPES}

EEA = [
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("HR", "Croatia"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DK", "Denmark"),
    ("EE", "Estonia"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("GR", "Greece"),
    ("HU", "Hungary"),
    ("IS", "Iceland"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("LV", "Latvia"),
    ("LI", "Liechtenstein"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("MT", "Malta"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RO", "Romania"),
    ("SK", "Slovakia"),
    ("SI", "Slovenia"),
    ("ES", "Spain"),
    ("SE", "Sweden"),
]
US = [
    ("US-CA", "California"),
    ("US-CO", "Colorado"),
    ("US-CT", "Connecticut"),
    ("US-DE", "Delaware"),
    ("US-IA", "Iowa"),
    ("US-MT", "Montana"),
    ("US-NJ", "New Jersey"),
    ("US-OR", "Oregon"),
    ("US-TX", "Texas"),
    ("US-UT", "Utah"),
    ("US-VA", "Virginia"),
]
JURISDICTIONS = [
    ("European Union and EEA", EEA),
    ("United Kingdom", [("GB", "United Kingdom")]),
    ("United States", US),
    ("Americas", [("BR", "Brazil"), ("CA", "Canada (outside Quebec)"), ("CA-QC", "Quebec")]),
    ("Somewhere else", [("ZZ", "Another country or state")]),
]

STATUS_LABELS = {
    "pending_verification": "Waiting for you to confirm your e-mail address",
    "unverified": "Closed: the e-mail address was not confirmed in time",
    "open": "Received, waiting for a member of our privacy team",
    "in_progress": "Being worked on",
    "awaiting_info": "Waiting for information from you",
    "fulfilled": "Completed",
    "partially_fulfilled": "Partly completed",
    "denied": "Refused",
    "withdrawn": "Withdrawn",
    "duplicate": "Merged with your earlier request of the same kind",
    "appealed": "Appeal received",
    "appeal_in_review": "Appeal being reviewed",
    "appeal_upheld": "Appeal decided: the refusal stands",
}

APPEAL_STATUS_LABELS = {
    "appealed": "Received, waiting for a reviewer",
    "appeal_in_review": "Being reviewed",
    "appeal_upheld": "Decided: the original decision stands",
    "overturned": "Decided: we changed our decision",
}
