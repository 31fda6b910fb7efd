"""Why a feed could not be fetched, with what a caller needs to decide when to try again."""


class FetchError(Exception):
    def __init__(self, message: str, http_status: int | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after
