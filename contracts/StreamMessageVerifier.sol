// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {StreamRegistry} from "./StreamRegistry.sol";

/// @title StreamMessageVerifier
/// @notice Checks on chain a StreamMessage signed by the Keyway SDK: recomputes its EIP-712
/// digest (domain "Keyway", version "1", this chain, the registry as verifyingContract),
/// recovers its signer and asks the registry whether that publisher may publish it.
/// @dev Kept apart from StreamRegistry so the registry stays small; deploy one per registry.
/// Signatures must be canonical (65 bytes, v 27 or 28, low s), as in the SDK: OpenZeppelin's
/// ECDSA rejects the rest, so no message has two valid signatures.
contract StreamMessageVerifier {
    /// @notice The fields of a message, in the order of the EIP-712 type. Times are unix ms.
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
    }

    bytes32 public constant STREAM_MESSAGE_TYPEHASH = keccak256(
        "StreamMessage(string streamId,uint32 partition,uint64 timestamp,uint32 sequenceNumber,address publisher,"
        "string msgChainId,uint64 prevTimestamp,uint32 prevSequenceNumber,string contentType,bytes content)"
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

    /// @notice The digest a publisher signs for `message`.
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

    /// @notice Whether `message` passes the SDK parser's structural checks that the chain can
    /// make on its own: non-empty `msgChainId` and `contentType`, and a chain link that points
    /// back (`prevTimestamp == 0` with `prevSequenceNumber == 0`, or `(prevTimestamp,
    /// prevSequenceNumber)` strictly before `(timestamp, sequenceNumber)`).
    /// @dev The SDK's other checks stay off chain, where a message arrives as JSON text: the
    /// length limits (counted in UTF-16 code units of its strings), well-formed strings, a
    /// canonical stream id (a non-canonical one names no stream, so `mayPublish` is false
    /// anyway), lowercase hex, timestamps below 2^53 (implied here by the Publish expiry).
    function isWellFormed(StreamMessage calldata message) public pure returns (bool) {
        if (bytes(message.msgChainId).length == 0 || bytes(message.contentType).length == 0) return false;
        if (message.prevTimestamp == 0) return message.prevSequenceNumber == 0;
        return message.prevTimestamp < message.timestamp
            || (message.prevTimestamp == message.timestamp && message.prevSequenceNumber < message.sequenceNumber);
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

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Keyway"), keccak256("1"), block.chainid, address(registry))
        );
    }

    function _hashStruct(StreamMessage calldata message) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                STREAM_MESSAGE_TYPEHASH,
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
            )
        );
    }
}
