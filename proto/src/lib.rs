//! The Moonlight wire contract, generated from `proto/moonlight/v1/*.proto` at build time.
//! See `proto/moonlight/v1/game.proto` for the rules of the protocol.

mod delta;

pub use delta::DeltaMismatch;

/// Version 1 of the game protocol.
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/moonlight.v1.rs"));
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::v1::{ClientFrame, Hello, ProtocolVersion, client_frame};

    #[test]
    fn frames_round_trip() {
        let frame = ClientFrame {
            body: Some(client_frame::Body::Hello(Hello {
                protocol_version: ProtocolVersion::ProtocolVersion1.into(),
                client_name: "test".to_owned(),
                view_deltas: false,
            })),
        };
        let bytes = frame.encode_to_vec();
        assert_eq!(ClientFrame::decode(bytes.as_slice()).unwrap(), frame);
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        for bytes in [&[0xff_u8, 0xff, 0xff][..], &[0x0a, 0x10], &[0x08]] {
            assert!(ClientFrame::decode(bytes).is_err(), "{bytes:?}");
        }
    }
}
