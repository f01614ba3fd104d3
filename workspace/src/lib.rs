//! The collaborative workspace of Mon assistant parquet.
//!
//! One room per dossier: a Yjs document (yrs) holding shared annotations, the synthesis drafted
//! together and the corrections, synchronised with the y-sync protocol, with a durable update log.
//! The room logic is sans-IO so it can be tested without sockets; the WebSocket edge is in `web/`.
//!
//! Rooms are built on the engine's inputs: corrections made here flow into the engine.
