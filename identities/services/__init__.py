"""Writes of identities, one module per family. Each service runs in one transaction; disk follows.

Every curation write locks the identity rows it changes (in pk order, `rows.identities_locked`),
moves faces with set-based statements (`faces.moves`), records one history entry in the same
transaction (`history.recording`), and rewrites the `identity.json` of every identity involved
once the transaction has committed (`files`). Any write that points faces at an identity holds
that identity's lock, so a concurrent DELETE can never leave a face bound to a deleted identity.
"""
