"""Staff sign-in and sign-out: one password field (or the identity provider, when configured)."""

import streamlit as st

from engagement.ui import auth

st.title("Account")
if auth.allowed("moderator"):
    st.text(f"Signed in as {auth.role()}.")
    if st.button("Sign out", key="sign-out"):
        auth.sign_out()
        st.rerun()
else:
    st.write("Moderators and organisers sign in here. Participants need no account.")
    auth.sign_in_form("account-sign-in")
