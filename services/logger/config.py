from infra.settings import CommonSettings


class Settings(CommonSettings):
    logger_group_id: str = "logger"
    logger_batch_size: int = 1000
    logger_run_timeout_seconds: int = 900
    logger_sweep_interval_seconds: float = 30
    logger_failures_kept: int = 50
    # Per-job statuses (the run detail's outcomes) are kept this long; the runs' counts forever.
    logger_status_retention_days: int = 30
    logger_trim_interval_seconds: int = 3600
