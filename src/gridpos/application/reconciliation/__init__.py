"""对账: the three-way reconciliation engine, its repairs and its work queue, the 银电联网 files
both ways, the agent float statement with the T+1 cash handover, and the daily schedule.

- run: :func:`reconcile` (:class:`RunRequest`) — match, classify, record, repair;
- the work queue under maker-checker: :func:`request_resolution`, :func:`approve_resolution`,
  :func:`reject_resolution`;
- what the console shows: :func:`list_runs`, :func:`run_detail`, :func:`list_differences`,
  :func:`work_queue`, :func:`item_detail`, :func:`run_report`, :func:`open_differences`;
- files: :func:`export_file`, :func:`import_file`, :func:`read_file`;
- floats: :func:`float_reconciliation`, :func:`record_handover`;
- schedule: :func:`run_daily_if_due`, :class:`DailySchedule`.
"""

from gridpos.application.reconciliation.context import MisReader, ReconciliationServices
from gridpos.application.reconciliation.errors import ReconciliationError
from gridpos.application.reconciliation.files import (
    ImportedFile,
    export_file,
    import_file,
    read_file,
)
from gridpos.application.reconciliation.floats import (
    FloatReconciliation,
    HandoverDay,
    float_reconciliation,
    record_handover,
)
from gridpos.application.reconciliation.queue import (
    ResolutionRequest,
    approve_resolution,
    reject_resolution,
    request_resolution,
)
from gridpos.application.reconciliation.repair import repair_run
from gridpos.application.reconciliation.run import RunRequest, reconcile
from gridpos.application.reconciliation.schedule import DailySchedule, run_daily_if_due
from gridpos.application.reconciliation.views import (
    DifferenceView,
    ItemDetail,
    QueueItem,
    RunDetail,
    RunReport,
    RunSummary,
    item_detail,
    list_differences,
    list_runs,
    open_differences,
    run_detail,
    run_outcome,
    run_report,
    work_queue,
)

__all__ = [
    "DailySchedule",
    "DifferenceView",
    "FloatReconciliation",
    "HandoverDay",
    "ImportedFile",
    "ItemDetail",
    "MisReader",
    "QueueItem",
    "ReconciliationError",
    "ReconciliationServices",
    "ResolutionRequest",
    "RunDetail",
    "RunReport",
    "RunRequest",
    "RunSummary",
    "approve_resolution",
    "export_file",
    "float_reconciliation",
    "import_file",
    "item_detail",
    "list_differences",
    "list_runs",
    "open_differences",
    "read_file",
    "reconcile",
    "record_handover",
    "reject_resolution",
    "repair_run",
    "request_resolution",
    "run_daily_if_due",
    "run_detail",
    "run_outcome",
    "run_report",
    "work_queue",
]
