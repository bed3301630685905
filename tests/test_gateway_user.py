"""gateway_user: provisioning the Sensor Gateway user through the REST API, with a fake session."""

import sys

from sim_support import ROOT, FakeResponse, FakeSession

sys.path.insert(0, str(ROOT / "simulators"))

import gateway_user
import yam_sim_client as sim


def test_provision_gateway_user_calls():
	answers = [
		FakeResponse(200, {"message": "Logged In"}),
		FakeResponse(404, {"exc_type": "DoesNotExistError"}),
		FakeResponse(200, {"data": {"name": "gw@x"}}),
		FakeResponse(200, {"data": [{"name": "S1"}, {"name": "S2"}]}),
		FakeResponse(200, {"data": []}),
		FakeResponse(200, {"data": {"name": "UP1"}}),
		FakeResponse(200, {"data": [{"name": "UP0"}]}),
		FakeResponse(200, {"message": {"api_secret": "sec"}}),
		FakeResponse(200, {"data": {"name": "gw@x", "api_key": "key"}}),
	]
	session = FakeSession(answers)
	key, secret = gateway_user.provision_gateway_user(
		sim.Config(url="http://h", admin_password="pw"), "gw@x", session=session
	)
	assert (key, secret) == ("key", "sec")
	calls = [(m, u.replace("http://h", "")) for m, u, _ in session.calls]
	assert calls[0] == ("POST", "/api/method/login")
	assert session.calls[0][2]["json"] == {"usr": "Administrator", "pwd": "pw"}
	assert ("POST", "/api/resource/User") in calls
	user = next(k["json"] for m, u, k in session.calls if u.endswith("/api/resource/User") and m == "POST")
	assert user["roles"] == [{"role": "Sensor Gateway"}] and user["send_welcome_email"] == 0
	grants = [k["json"] for m, u, k in session.calls if u.endswith("/User Permission") and m == "POST"]
	assert grants == [{"user": "gw@x", "allow": "Site", "for_value": "S1", "apply_to_all_doctypes": 1}]
