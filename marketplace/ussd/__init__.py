"""Basic phones: USSD menus and SMS commands over the same services the web pages use."""
