"""External judges of the rendered email: real tools (Chromium, axe-core, html-validate, reference MJML,
SpamAssassin), installed by .ci/run. Helpers here start and drive them; the tests sit beside them."""
