"""代理商 in the console: the agent list and page, their admin with their agent operator
account, float top-ups under maker-checker, the float statement, commission and collections."""

from gridpos.application.console.agents.admin import (
    AGENT_STATUSES,
    AgentDetail,
    AgentList,
    AgentQuery,
    agent_detail,
    agent_list,
    create_agent,
    edit_agent,
    set_agent_disabled,
)
from gridpos.application.console.agents.floats import (
    Collections,
    agent_collections,
    agent_commission,
    agent_statement,
    commission_summary,
    decide_float_topup,
    parse_date_range,
    request_float_topup,
)

__all__ = [
    "AGENT_STATUSES",
    "AgentDetail",
    "AgentList",
    "AgentQuery",
    "Collections",
    "agent_collections",
    "agent_commission",
    "agent_detail",
    "agent_list",
    "agent_statement",
    "commission_summary",
    "create_agent",
    "decide_float_topup",
    "edit_agent",
    "parse_date_range",
    "request_float_topup",
    "set_agent_disabled",
]
