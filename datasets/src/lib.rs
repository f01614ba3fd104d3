//! Synthetic French criminal procedures with gold annotations.
//!
//! Real case files are confidential, so every test and benchmark runs on procédures generated
//! here, together with the truth about each one (pieces, offences, answers and their evidence).
//! The domain's single source of truth (offence taxonomy, question bank) lives beside it as data.
