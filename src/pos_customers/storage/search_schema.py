"""The FTS5 search indexes over ``customer_search`` (revision 0001 creates them).

Their definition is shared with headquarters: :data:`pos_customers.domain.search.TILL_FTS`.
"""

from ..domain.search import TILL_FTS

CREATE = TILL_FTS.create()
DROP = TILL_FTS.drop()
FTS_TABLES = TILL_FTS.tables
