"""Bringing in the old petition ledgers (信访台账): Excel 2003/2007+, OpenDocument and CSV files kept before the desk.

``reader`` turns a sheet into rows of cells (merged cells filled in), ``mapping`` finds the header rows and guesses
which column holds what, ``values`` reads the dates, results and ratings people typed, ``service`` runs the dry run
and the import (in batches, with progress and cancel) and undoes a whole import.
"""
