"""`sculptops agent`: pulls work from the API and runs it with real ansible-playbook."""
