"""Pages Gatehouse hosts for people rather than admins: the invitation page."""
