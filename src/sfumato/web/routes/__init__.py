"""The dashboard's pages, a module per part: sign-in, the studio (and its JSON for the script), jobs, gallery,
account, admin, docs."""
