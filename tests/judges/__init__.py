"""External judges of the rendered email: real tools (Chromium, axe-core, html-validate, reference MJML,
SpamAssassin), installed by tests/install-tools. Helpers here start and drive them; the tests sit
beside them."""
