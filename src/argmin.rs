//! argmin plugin (issue 6): placeholder.
