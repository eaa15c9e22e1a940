"""Importers: the subscriber lists other tools export (Mailchimp, Substack, Ghost, listmonk),
read as each tool documents its export, written through the store (digest.store.import_rows).

One module per tool knows its format (`mailchimp.py`, `substack.py`, `ghost.py`,
`listmonk.py`); `files.py` opens a CSV or a zip of them as streams, `detect.py` tells the tool
from the header line, `table.py` turns rows into `ImportedRow`s, `run.py` puts it together.
The store never learns a vendor's format; these modules never write SQL.
"""

from digest.importers.detect import TOOLS
from digest.importers.run import ImportResult, import_export

__all__ = ["TOOLS", "ImportResult", "import_export"]
