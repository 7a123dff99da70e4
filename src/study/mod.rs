//! Scripted studies (issue 7): placeholder.
