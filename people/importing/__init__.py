"""The HR-system import of people and org units. docs/imports.md describes the file for the people who make it.

- columns.py: the documented columns and the words coded columns accept;
- reading.py: bytes (CSV or XLSX) -> rows of cells, header checked;
- validation.py: rows -> parsed people and org units, with every problem found;
- loading.py: what a valid file changes, and the bulk writes;
- service.py: the whole import, all-or-nothing, recorded as a PeopleImport;
- tasks.py / selectors.py: the background job and the scoped reads for the pages.
"""

from people.importing.reading import MAX_UPLOAD_BYTES
from people.importing.service import (
    import_people,
    people_import_confirm,
    people_import_enqueue,
    people_import_run,
)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "import_people",
    "people_import_confirm",
    "people_import_enqueue",
    "people_import_run",
]
