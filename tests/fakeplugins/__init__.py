"""Plugins used only by the tests: misbehaving accessories, broken registrations, a uniform scene."""
