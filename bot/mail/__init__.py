"""Email transports for escalations: SMTP, Microsoft Graph, or a local folder of .eml files."""
