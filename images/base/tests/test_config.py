import os
import tempfile
import unittest
from pathlib import Path

from agent.config import ConfigError, load_config, read_credential

TOKEN = "tfa_0123456789abcdefghij"


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
        config = load_config({**self.env, "AGENT_POLICY_MAX_AGE_S": "60"})
        self.assertEqual(config.task_id, "task-abc123")
        self.assertEqual(config.control_plane_url, "http://control-plane:8000")
        self.assertEqual(config.workspace, Path(self.workspace))
        self.assertEqual(config.policy_max_age_s, 60)
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
        for url in ("unix://host/run/cp.sock", "unix:cp.sock", "unix:///run/cp.sock?x=1"):
            self.assertIn(f"CONTROL_PLANE_URL={url!r} is not a unix socket URL", self.error(CONTROL_PLANE_URL=url))
        self.assertEqual(load_config({**self.env, "CONTROL_PLANE_URL": "unix:///run/taskforge/control-plane.sock"}).control_plane_url, "unix:///run/taskforge/control-plane.sock")
        self.assertIn("AGENT_REQUEST_TIMEOUT_S='soon' is not a number", self.error(AGENT_REQUEST_TIMEOUT_S="soon"))
        self.assertIn("out of range", self.error(AGENT_POLICY_MAX_AGE_S="0"))
        self.assertIn("AGENT_LOG_LEVEL='loud'", self.error(AGENT_LOG_LEVEL="loud"))
        self.assertIn("does not exist", self.error(AGENT_WORKSPACE="/no/such/dir"))

    def test_refresh_must_come_before_expiry(self) -> None:
        self.assertIn("must be below AGENT_POLICY_MAX_AGE_S", self.error(AGENT_POLICY_REFRESH_S="60", AGENT_POLICY_MAX_AGE_S="30"))


    def test_a_credential_in_the_environment_is_refused_without_being_shown(self) -> None:
        message = self.error(CONTROL_PLANE_TOKEN=TOKEN)
        self.assertIn("CONTROL_PLANE_TOKEN is set in the environment", message)
        self.assertNotIn(TOKEN, message)

    def test_request_deadline_must_be_below_the_policy_maximum_age(self) -> None:
        self.assertIn("must be below AGENT_POLICY_MAX_AGE_S", self.error(AGENT_REQUEST_TIMEOUT_S="30", AGENT_POLICY_MAX_AGE_S="20", AGENT_POLICY_REFRESH_S="5"))

    def test_a_ca_file_needs_https_and_must_exist(self) -> None:
        self.assertIn("is not https://", self.error(CONTROL_PLANE_CA_FILE=__file__))
        self.assertIn("is not a readable file", self.error(CONTROL_PLANE_URL="https://cp:8443", CONTROL_PLANE_CA_FILE="/no/such/ca.pem"))
        self.assertEqual(load_config({**self.env, "CONTROL_PLANE_URL": "https://cp:8443", "CONTROL_PLANE_CA_FILE": __file__}).ca_file, Path(__file__))


class ReadCredentialTest(unittest.TestCase):
    def pipe_with(self, data: bytes, close: bool = True) -> int:
        read_end, write_end = os.pipe()
        os.write(write_end, data)
        if close:
            os.close(write_end)
        else:
            self.addCleanup(os.close, write_end)
        self.addCleanup(os.close, read_end)
        return read_end

    def test_reads_the_first_line_of_standard_input_and_nothing_else(self) -> None:
        for data, close in [(TOKEN.encode() + b"\n", True), (TOKEN.encode() + b"\r\n", True), (TOKEN.encode(), True), (TOKEN.encode() + b"\n", False)]:
            with self.subTest(data=data, close=close):
                self.assertEqual(read_credential({}, self.pipe_with(data, close), wait_s=2), TOKEN)

    def test_a_credential_file_is_read_once_and_removed(self) -> None:
        directory = Path(tempfile.mkdtemp())
        path = directory / "token"
        path.write_text(TOKEN + "\n")
        self.assertEqual(read_credential({"CONTROL_PLANE_TOKEN_FILE": str(path)}, wait_s=0.1), TOKEN)
        self.assertFalse(path.exists())

    def test_bad_credentials_are_refused_without_being_shown(self) -> None:
        secret = "tfa_abcdefghij0123456789"
        for name, data in [
            ("space inside", f"{secret[:8]} {secret[8:]}\n"),
            ("tab", f"{secret}\tx\n"),
            ("escape sequence", f"\x1b[31m{secret}\n"),
            ("NUL", f"{secret}\x00\n"),
            ("non-ASCII", f"{secret}\u00e9\n"),
            ("too short", "abc\n"),
            ("empty", ""),
            ("only a newline", "\n"),
        ]:
            with self.subTest(name):
                with self.assertRaises(ConfigError) as caught:
                    read_credential({}, self.pipe_with(data.encode()), wait_s=1)
                self.assertNotIn(secret, str(caught.exception))
                self.assertNotIn(secret[8:], str(caught.exception))
                self.assertNotIn("\n", str(caught.exception))

    def test_no_credential_in_time_is_a_one_line_error(self) -> None:
        with self.assertRaises(ConfigError) as caught:
            read_credential({}, self.pipe_with(b"", close=False), wait_s=0.3)
        self.assertIn("no credential on standard input within 0.3s", str(caught.exception))

    def test_a_file_that_cannot_be_removed_is_refused(self) -> None:
        if os.getuid() == 0:
            self.skipTest("root may remove the file from a read-only directory")
        directory = Path(tempfile.mkdtemp())
        path = directory / "token"
        path.write_text(TOKEN)
        directory.chmod(0o555)
        self.addCleanup(directory.chmod, 0o755)
        with self.assertRaises(ConfigError) as caught:
            read_credential({"CONTROL_PLANE_TOKEN_FILE": str(path)})
        self.assertIn("cannot be removed after reading", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
