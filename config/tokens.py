"""What every signed link (account verification, subscription confirm and unsubscribe) raises."""


class InvalidToken(Exception):
    """A signed link that cannot be used: `expired` (it was valid once) or not ours at all."""

    def __init__(self, *, expired: bool) -> None:
        self.expired = expired
        super().__init__("expired" if expired else "invalid")
