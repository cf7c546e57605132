from services.assets.models import Base
from svckit.migrations import run_env

run_env(Base.metadata)
