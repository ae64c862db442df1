import tempfile
import unittest
from pathlib import Path

from agent.config import ConfigError, load_config


class LoadConfigTest(unittest.TestCase):
    def setUp(self) -> None:
        self.workspace = tempfile.mkdtemp()
        self.env = {"TASK_ID": "task-abc123", "CONTROL_PLANE_URL": "http://control-plane:8000/", "AGENT_WORKSPACE": self.workspace}

    def error(self, **changes: str) -> str:
        env = {**self.env, **changes}
        env = {k: v for k, v in env.items() if v is not None}
        with self.assertRaises(ConfigError) as caught:
            load_config(env)
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        return message

    def test_reads_a_valid_environment_with_defaults(self) -> None:
        config = load_config({**self.env, "CONTROL_PLANE_TOKEN": "s3cret", "AGENT_POLICY_MAX_AGE_S": "60"})
        self.assertEqual(config.task_id, "task-abc123")
        self.assertEqual(config.control_plane_url, "http://control-plane:8000")
        self.assertEqual(config.workspace, Path(self.workspace))
        self.assertEqual(config.policy_max_age_s, 60)
        self.assertEqual(config.secrets(), ["s3cret"])
        self.assertLess(config.policy_refresh_s, config.policy_max_age_s)

    def test_missing_task_id_names_the_variable_and_an_example(self) -> None:
        env = dict(self.env)
        del env["TASK_ID"]
        with self.assertRaises(ConfigError) as caught:
            load_config(env)
        self.assertIn("TASK_ID is not set", str(caught.exception))

    def test_malformed_values_name_variable_value_and_expectation(self) -> None:
        self.assertIn("TASK_ID='bad id!'", self.error(TASK_ID="bad id!"))
        self.assertIn("CONTROL_PLANE_URL='ftp://x'", self.error(CONTROL_PLANE_URL="ftp://x"))
        self.assertIn("AGENT_REQUEST_TIMEOUT_S='soon' is not a number", self.error(AGENT_REQUEST_TIMEOUT_S="soon"))
        self.assertIn("out of range", self.error(AGENT_POLICY_MAX_AGE_S="0"))
        self.assertIn("AGENT_LOG_LEVEL='loud'", self.error(AGENT_LOG_LEVEL="loud"))
        self.assertIn("does not exist", self.error(AGENT_WORKSPACE="/no/such/dir"))

    def test_refresh_must_come_before_expiry(self) -> None:
        self.assertIn("must be below AGENT_POLICY_MAX_AGE_S", self.error(AGENT_POLICY_REFRESH_S="60", AGENT_POLICY_MAX_AGE_S="30"))


if __name__ == "__main__":
    unittest.main()
