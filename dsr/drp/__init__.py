"""The Data Rights Protocol 1.0 (Consumer Reports Innovation Lab) under /drp: registered
authorized agents sign requests with Ed25519 keys; each becomes a case on channel `agent`
(README, "Data Rights Protocol")."""
