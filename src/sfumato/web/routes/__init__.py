"""The dashboard's pages, a module per part: sign-in, playground and jobs, gallery, account, admin, docs."""
