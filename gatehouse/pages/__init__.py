"""Pages Gatehouse hosts for people rather than admins: the invitation page and the sign-in
code page, each handing the person on to the operator's app."""
