from infra.settings import CommonSettings


class Settings(CommonSettings):
    # Replay's own group, used only to remember which dead letters were redriven.
    replay_group_id: str = "replay"
    # A dead letter that failed this many times is reported, not redriven again.
    replay_max_attempts: int = 3
    # The logger's knob, read under the same name: a rebuilt ImportLog keeps as many failures.
    logger_failures_kept: int = 50
