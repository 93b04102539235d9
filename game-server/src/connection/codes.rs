//! Every `Error.code` a node sends on a game socket: one variant each, named once.
//! `proto/moonlight/v1/game.proto` documents them at `message Error`, and a test keeps
//! that list equal to this one.

/// A stable error code for programs; the message beside it is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The first frame was not a binary `Hello` or `Resume` (then close 1008).
    ExpectedHello,
    /// The opening frame names another protocol version (close 1008).
    UnsupportedVersion,
    /// A frame over the size limit (close 1009).
    FrameTooLarge,
    /// More frames than the node allows per second (close 1008).
    RateLimited,
    /// Not a `ClientFrame`, or one with no body (ignored).
    MalformedFrame,
    /// A text frame (ignored; on the first frame, close 1008).
    BinaryOnly,
    /// A `Hello` or `Resume` after the first frame (ignored).
    AlreadyJoined,
    /// The room's mailbox is full: send it again shortly.
    RoomBusy,
    /// A spectator sent an action.
    Spectator,
    /// The ticket's player does not sit in that seat (close 4003).
    WrongSeat,
    /// The action could not be made durable: send it again (same `client_seq`).
    Unavailable,
    /// The store lost the room (Redis restarted without persistence): the match ends
    /// without a result (`no_contest`).
    RoomLost,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::ExpectedHello,
        ErrorCode::UnsupportedVersion,
        ErrorCode::FrameTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::MalformedFrame,
        ErrorCode::BinaryOnly,
        ErrorCode::AlreadyJoined,
        ErrorCode::RoomBusy,
        ErrorCode::Spectator,
        ErrorCode::WrongSeat,
        ErrorCode::Unavailable,
        ErrorCode::RoomLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ExpectedHello => "expected_hello",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::MalformedFrame => "malformed_frame",
            ErrorCode::BinaryOnly => "binary_only",
            ErrorCode::AlreadyJoined => "already_joined",
            ErrorCode::RoomBusy => "room_busy",
            ErrorCode::Spectator => "spectator",
            ErrorCode::WrongSeat => "wrong_seat",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::RoomLost => "room_lost",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The codes `game.proto` lists at `message Error`: lines `//   "code"  meaning`.
    fn documented() -> Vec<String> {
        let proto = include_str!("../../../proto/proto/moonlight/v1/game.proto");
        let start = proto.find("The codes:").expect("the list in game.proto");
        let end = start + proto[start..].find("message Error").expect("message Error");
        proto[start..end]
            .lines()
            .filter_map(|line| line.trim_start_matches("//").trim().strip_prefix('"'))
            .filter_map(|rest| rest.split_once('"').map(|(code, _)| code.to_owned()))
            .collect()
    }

    #[test]
    fn the_proto_documents_exactly_the_codes_sent() {
        let sent: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(documented(), sent);
    }

    #[test]
    fn every_code_is_in_the_readme() {
        let readme = include_str!("../../../README.md");
        for code in ErrorCode::ALL {
            assert!(readme.contains(&format!("`{}`", code.as_str())), "{code:?}");
        }
    }
}
