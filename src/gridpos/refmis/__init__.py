"""The reference marketing MIS (营销MIS): a stand-in for the utility's billing system of record.

Its own process (``gridpos refmis serve``) and database, reached only over HTTP
(``gridpos.protocol.mis``); it shares nothing with the server. Modules:

- ``tables``, ``engine``: its tables and its SQLite/PostgreSQL engine set-up;
- ``changes``: change sequence numbers and the watermark change feed;
- ``accounts``: a customer, its open receivables and arrears with penalties;
- ``billing``, ``pricing``: meter readings, billing runs, due dates, the bill cache;
- ``posting``, ``posting_checks``, ``undo``: postings (进账), reversals (冲正), cancels (冲销);
- ``reports``: the daily posting report and reconciliation file;
- ``faults``, ``app``: failure on purpose and the FastAPI app;
- ``county``, ``generator``: the demo county modelled on 岳西 and its bulk generator.
"""
