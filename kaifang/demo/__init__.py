"""Demo data: a realistic Suzhou set-up, loaded by `make run`, never in production."""

from kaifang.demo.loader import DEMO_PASSWORD, DemoAccount, load_demo

__all__ = ["DEMO_PASSWORD", "DemoAccount", "load_demo"]
