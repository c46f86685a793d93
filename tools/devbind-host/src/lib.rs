//! Linux stand-in of the SDK (to be written).
