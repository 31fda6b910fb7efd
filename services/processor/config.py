from infra.settings import CommonSettings


class Settings(CommonSettings):
    processor_group_id: str = "processor"
    processor_batch_size: int = 500
    processor_write_attempts: int = 5
    # Bulk writes in flight at once across every processor replica (a Redis semaphore).
    processor_max_concurrent_writes: int = 4
