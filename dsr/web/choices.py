"""Labels for the public form. Codes follow docs/legal.md §1 (ISO 3166).

The labels are English msgids marked N_() for the catalogues (README, "Languages"): the public
templates translate them when they render (`_(label)`, `translate(...)`); the console shows
them as they are."""

from dsr.notifications.catalogue import N_

TYPES = [
    ("access", N_("See my data"), N_("Get a copy of the personal data we hold about you.")),
    (
        "correction",
        N_("Correct my data"),
        N_("Fix personal data about you that is wrong or incomplete."),
    ),
    ("deletion", N_("Delete my data"), N_("Erase the personal data we hold about you.")),
    (
        "output_removal",
        N_("Stop our models producing my data"),
        N_("Stop our AI models from producing personal data about you in their answers."),
    ),
    (
        "objection",
        N_("Stop using my data"),
        N_("Object to a use of your data, for example to train our models."),
    ),
    (
        "opt_out",
        N_("Do not sell or share my data"),
        N_(
            "Opt out of the sale or sharing of your personal information and of targeted"
            " advertising. No confirmation is needed."
        ),
    ),
]
TYPE_LABELS = {value: label for value, label, _ in TYPES}

EEA = [
    ("AT", N_("Austria")),
    ("BE", N_("Belgium")),
    ("BG", N_("Bulgaria")),
    ("HR", N_("Croatia")),
    ("CY", N_("Cyprus")),
    ("CZ", N_("Czechia")),
    ("DK", N_("Denmark")),
    ("EE", N_("Estonia")),
    ("FI", N_("Finland")),
    ("FR", N_("France")),
    ("DE", N_("Germany")),
    ("GR", N_("Greece")),
    ("HU", N_("Hungary")),
    ("IS", N_("Iceland")),
    ("IE", N_("Ireland")),
    ("IT", N_("Italy")),
    ("LV", N_("Latvia")),
    ("LI", N_("Liechtenstein")),
    ("LT", N_("Lithuania")),
    ("LU", N_("Luxembourg")),
    ("MT", N_("Malta")),
    ("NL", N_("Netherlands")),
    ("NO", N_("Norway")),
    ("PL", N_("Poland")),
    ("PT", N_("Portugal")),
    ("RO", N_("Romania")),
    ("SK", N_("Slovakia")),
    ("SI", N_("Slovenia")),
    ("ES", N_("Spain")),
    ("SE", N_("Sweden")),
]
US = [
    ("US-CA", N_("California")),
    ("US-CO", N_("Colorado")),
    ("US-CT", N_("Connecticut")),
    ("US-DE", N_("Delaware")),
    ("US-IA", N_("Iowa")),
    ("US-MT", N_("Montana")),
    ("US-NJ", N_("New Jersey")),
    ("US-OR", N_("Oregon")),
    ("US-TX", N_("Texas")),
    ("US-UT", N_("Utah")),
    ("US-VA", N_("Virginia")),
]
JURISDICTIONS = [
    (N_("European Union and EEA"), EEA),
    (N_("United Kingdom"), [("GB", N_("United Kingdom"))]),
    (N_("United States"), US),
    (
        N_("Americas"),
        [("BR", N_("Brazil")), ("CA", N_("Canada (outside Quebec)")), ("CA-QC", N_("Quebec"))],
    ),
    (N_("Somewhere else"), [("ZZ", N_("Another country or state"))]),
]
