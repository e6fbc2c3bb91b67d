from hypothesis import HealthCheck, settings

# Examples share one test's transaction (each asserts on counts it reads itself), no example database
# on disk, and no deadline on a shared 2-core machine.
settings.register_profile("journey-canvas", database=None, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.load_profile("journey-canvas")
