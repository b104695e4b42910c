"""The lock order every writer uses, so two writers wait for each other instead of deadlocking."""


def lock_in_key_order(queryset):
    """Lock the rows of `queryset` until the transaction ends, in primary-key order; returns them."""
    return list(queryset.select_for_update().order_by("pk"))
