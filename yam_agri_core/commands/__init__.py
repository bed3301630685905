"""The ``yam`` bench command group: ``bench --site SITE yam --help``.

bench finds an app's commands in ``<app>.commands.commands`` (as Frappe's own, ``frappe/commands``). Every
``yam`` command connects to the site, runs with the rules Desk applies, rolls back on any error and commits
only on success. Exit status: 0 done, 1 failed, 2 bad input, 4 something needs attention.
"""

from yam_agri_core.commands import health, records, users  # noqa: F401  (they add their commands to yam)
from yam_agri_core.commands.base import yam

commands = [yam]
