from infra.settings import CommonSettings


class Settings(CommonSettings):
    gateway_host: str = "0.0.0.0"
    gateway_port: int = 8080
    gateway_page_size: int = 50
    gateway_max_page_size: int = 500
    gateway_send_timeout_seconds: float = 5.0
