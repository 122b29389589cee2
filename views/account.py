"""Staff sign-in and sign-out: one password field (or the identity provider, when configured).
Participants reach it from their menu, so its words are in their language (engagement/i18n)."""

import streamlit as st

from engagement.i18n import N_
from engagement.ui import auth
from engagement.ui.qa import document_language, translator

ROLES = {"moderator": N_("moderator"), "organiser": N_("organiser")}

t = translator()
_ = t.gettext
document_language(t.code)
st.title(_("Account"), anchor=False)
if auth.allowed("moderator"):
    role = auth.role()
    st.text(_("Signed in as {role}.").format(role=_(ROLES[role]) if role in ROLES else role))
    if st.button(_("Sign out"), key="sign-out"):
        auth.sign_out()
        st.rerun()
else:
    st.text(_("Moderators and organisers sign in here. Participants need no account."))
    auth.sign_in_form("account-sign-in")
