// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {StreamRegistry} from "./StreamRegistry.sol";

/// @title StreamMessageVerifier
/// @notice Checks on chain a StreamMessage signed by the Keyway SDK: recomputes its EIP-712
/// digest (domain "Keyway", version "1", this chain, the registry as verifyingContract),
/// recovers its signer and asks the registry whether that publisher may publish it.
/// A message whose content is encrypted (docs/encryption.md) carries its key's name in `groupKeyId`
/// and is signed as the EIP-712 type `EncryptedStreamMessage`; the chain checks it without the key.
/// @dev Kept apart from StreamRegistry so the registry stays small; deploy one per registry.
/// Signatures must be canonical (65 bytes, v 27 or 28, low s), as in the SDK: OpenZeppelin's
/// ECDSA rejects the rest, so no message has two valid signatures.
contract StreamMessageVerifier {
    /// @notice The fields of a message, in the order of the EIP-712 type. Times are unix ms.
    /// `groupKeyId` is "" for a plain message (EIP-712 type `StreamMessage`, which has no such
    /// field) and the name of the key that encrypted `content` for an encrypted one (type
    /// `EncryptedStreamMessage`, hashed last). The SDK never signs an empty `groupKeyId`, so ""
    /// names no key and the two types cannot be confused.
    struct StreamMessage {
        string streamId;
        uint32 partition;
        uint64 timestamp;
        uint32 sequenceNumber;
        address publisher;
        string msgChainId;
        uint64 prevTimestamp;
        uint32 prevSequenceNumber;
        string contentType;
        bytes content;
        string groupKeyId;
    }

    bytes32 public constant STREAM_MESSAGE_TYPEHASH = keccak256(
        "StreamMessage(string streamId,uint32 partition,uint64 timestamp,uint32 sequenceNumber,address publisher,"
        "string msgChainId,uint64 prevTimestamp,uint32 prevSequenceNumber,string contentType,bytes content)"
    );
    bytes32 public constant ENCRYPTED_STREAM_MESSAGE_TYPEHASH = keccak256(
        "EncryptedStreamMessage(string streamId,uint32 partition,uint64 timestamp,uint32 sequenceNumber,address publisher,"
        "string msgChainId,uint64 prevTimestamp,uint32 prevSequenceNumber,string contentType,bytes content,string groupKeyId)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The registry whose permissions apply and whose address signatures are bound to.
    StreamRegistry public immutable registry;

    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    constructor(StreamRegistry registry_) {
        registry = registry_;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @notice The EIP-712 domain separator of messages for the registry on this chain.
    function domainSeparator() public view returns (bytes32) {
        // Recomputed after a fork changes the chain id, so signatures do not replay across it.
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice The digest a publisher signs for `message`: of a `StreamMessage` if its
    /// `groupKeyId` is "", else of an `EncryptedStreamMessage`.
    function hashStreamMessage(StreamMessage calldata message) public view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(domainSeparator(), _hashStruct(message));
    }

    /// @notice The signer of `message`, or address(0) if the signature is malformed, not
    /// canonical or recovers nothing.
    function recoverPublisher(StreamMessage calldata message, bytes calldata signature)
        public
        view
        returns (address)
    {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(hashStreamMessage(message), signature);
        return error == ECDSA.RecoverError.NoError ? signer : address(0);
    }

    /// @notice Whether `signature` is `message.publisher`'s signature of `message`.
    function isSignedByPublisher(StreamMessage calldata message, bytes calldata signature)
        public
        view
        returns (bool)
    {
        address signer = recoverPublisher(message, signature);
        return signer != address(0) && signer == message.publisher;
    }

    /// @notice The expiry (unix seconds) of the Publish permission `publisher` holds now on the
    /// stream, directly or because the public does, whichever lasts longer; 0 if not held.
    function publishExpiry(string calldata streamId, address publisher) public view returns (uint40) {
        uint256 publish = uint256(StreamRegistry.Permission.Publish);
        uint40 direct = registry.getPermissionsForUser(streamId, publisher)[publish];
        uint40 open = registry.getPermissionsForUser(streamId, address(0))[publish];
        uint40 expiry = direct > open ? direct : open;
        return expiry > block.timestamp ? expiry : 0;
    }

    /// @notice `message` breaks the SDK parser's rule for `field` (see `isWellFormed`).
    error StreamMessageVerifierMalformedMessage(string field);

    /// @notice Longest `msgChainId`, `contentType` and `groupKeyId` the SDK accepts, in UTF-16 code
    /// units (sdk/message/parse.ts `MAX_MSG_CHAIN_ID_LENGTH`, `MAX_CONTENT_TYPE_LENGTH`,
    /// `MAX_GROUP_KEY_ID_LENGTH`).
    uint256 public constant MAX_MSG_CHAIN_ID_LENGTH = 64;
    uint256 public constant MAX_CONTENT_TYPE_LENGTH = 255;
    uint256 public constant MAX_GROUP_KEY_ID_LENGTH = 64;

    /// @notice Whether `message` passes the SDK parser's structural checks that the chain can
    /// make on its own: `msgChainId` of 1 to 64, `contentType` of 1 to 255 and `groupKeyId` of 0
    /// (a plain message) to 64 UTF-16 code units (as JavaScript counts a string's length), and a
    /// chain link that points back
    /// (`prevTimestamp == 0` with `prevSequenceNumber == 0`, or `(prevTimestamp,
    /// prevSequenceNumber)` strictly before `(timestamp, sequenceNumber)`).
    /// @dev The SDK's other checks stay off chain, where a message arrives as JSON text:
    /// well-formed strings (lengths here assume valid UTF-8, the only encoding the SDK signs), a
    /// canonical stream id (a non-canonical one names no stream, so `mayPublish` is false
    /// anyway), lowercase hex, timestamps below 2^53 (implied here by the Publish expiry).
    function isWellFormed(StreamMessage calldata message) public pure returns (bool) {
        return bytes(_malformedField(message)).length == 0;
    }

    /// @notice Reverts unless `isWellFormed(message)`, naming the first field at fault.
    ///
    /// Requirements:
    /// - `msgChainId`, `contentType`, `groupKeyId`, `prevTimestamp` as `isWellFormed` says, else
    ///   {StreamMessageVerifierMalformedMessage} with that field's name.
    function requireWellFormed(StreamMessage calldata message) external pure {
        string memory field = _malformedField(message);
        if (bytes(field).length != 0) revert StreamMessageVerifierMalformedMessage(field);
    }

    /// @notice Whether a subscriber may accept `message` as far as the chain can tell: well
    /// formed (`isWellFormed`), signed by its publisher, who holds Publish now, with the
    /// message's timestamp (ms) before that permission's expiry (s). Clock skew, duplicates and
    /// gaps are the subscriber's to check.
    function mayPublish(StreamMessage calldata message, bytes calldata signature) external view returns (bool) {
        if (!isWellFormed(message) || !isSignedByPublisher(message, signature)) return false;
        uint256 expiry = publishExpiry(message.streamId, message.publisher);
        return expiry != 0 && message.timestamp < expiry * 1000;
    }

    /// @dev The first field that breaks `isWellFormed`'s rules, or "" if none does.
    function _malformedField(StreamMessage calldata message) private pure returns (string memory) {
        if (!_hasLength(message.msgChainId, MAX_MSG_CHAIN_ID_LENGTH)) return "msgChainId";
        if (!_hasLength(message.contentType, MAX_CONTENT_TYPE_LENGTH)) return "contentType";
        if (bytes(message.groupKeyId).length != 0 && !_hasLength(message.groupKeyId, MAX_GROUP_KEY_ID_LENGTH)) {
            return "groupKeyId";
        }
        bool linked = message.prevTimestamp == 0
            ? message.prevSequenceNumber == 0
            : message.prevTimestamp < message.timestamp
                || (message.prevTimestamp == message.timestamp && message.prevSequenceNumber < message.sequenceNumber);
        return linked ? "" : "prevTimestamp";
    }

    /// @dev Whether the UTF-8 `text` is 1 to `max` UTF-16 code units long: each byte that starts
    /// a character counts one, a four-byte one (beyond U+FFFF, a surrogate pair) two. A code unit
    /// takes at most three bytes, so only lengths between `max` and `3 * max` bytes need counting.
    function _hasLength(string calldata text, uint256 max) private pure returns (bool) {
        bytes calldata raw = bytes(text);
        if (raw.length == 0 || raw.length > 3 * max) return false;
        if (raw.length <= max) return true;
        uint256 units = 0;
        for (uint256 i = 0; i < raw.length; i++) {
            bytes1 b = raw[i];
            if (b & 0xC0 != 0x80) units += b >= 0xF0 ? 2 : 1;
        }
        return units <= max;
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Keyway"), keccak256("1"), block.chainid, address(registry))
        );
    }

    /// @dev `hashStruct` of either type: both start with the same eleven words, the encrypted one
    /// then appends the hash of `groupKeyId`, so a plain message costs what it did before the type
    /// existed.
    function _hashStruct(StreamMessage calldata message) private pure returns (bytes32) {
        bool encrypted = bytes(message.groupKeyId).length != 0;
        bytes memory encoded = abi.encode(
            encrypted ? ENCRYPTED_STREAM_MESSAGE_TYPEHASH : STREAM_MESSAGE_TYPEHASH,
            keccak256(bytes(message.streamId)),
            message.partition,
            message.timestamp,
            message.sequenceNumber,
            message.publisher,
            keccak256(bytes(message.msgChainId)),
            message.prevTimestamp,
            message.prevSequenceNumber,
            keccak256(bytes(message.contentType)),
            keccak256(message.content)
        );
        if (!encrypted) return keccak256(encoded);
        return keccak256(abi.encodePacked(encoded, keccak256(bytes(message.groupKeyId))));
    }
}
