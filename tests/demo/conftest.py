def pytest_configure(config):
    config.addinivalue_line(
        "markers", "demo_e2e: a whole demo scenario through the real pipeline (several minutes each)"
    )
