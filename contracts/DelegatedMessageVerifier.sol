// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {StreamMessageVerifier} from "./StreamMessageVerifier.sol";
import {StreamRegistry} from "./StreamRegistry.sol";

/// @title DelegatedMessageVerifier
/// @notice Checks on chain a StreamMessage published under a session key's `Delegation` or an
/// `AccessGrant`, by the rules the SDK's validator and the relay apply (docs/delegation.md).
/// Both structs are EIP-712 under the messages' domain (same chain, same registry). An encrypted
/// message (non-empty `groupKeyId`) is checked as a plain one: its digest covers `groupKeyId`.
/// @dev A companion of {StreamMessageVerifier}, whose message digest and domain it uses, so the
/// message verifier stays as it is. Signatures must be canonical, as everywhere in Keyway.
contract DelegatedMessageVerifier {
    /// @notice A holder lets `delegate` act as them on `streamIds` until `expiresAt` (unix s).
    struct Delegation {
        address delegate;
        string[] streamIds;
        uint8 permissions;
        uint64 expiresAt;
        bytes32 salt;
    }

    /// @notice An issuer holding Grant lets `grantee` publish and/or subscribe on `streamId`.
    struct AccessGrant {
        address grantee;
        string streamId;
        uint8 permissions;
        uint64 expiresAt;
        bytes32 salt;
    }

    bytes32 public constant DELEGATION_TYPEHASH = keccak256(
        "Delegation(address delegate,string[] streamIds,uint8 permissions,uint64 expiresAt,bytes32 salt)"
    );
    bytes32 public constant ACCESS_GRANT_TYPEHASH = keccak256(
        "AccessGrant(address grantee,string streamId,uint8 permissions,uint64 expiresAt,bytes32 salt)"
    );

    /// @notice `1 << Permission.Publish` and `1 << Permission.Subscribe`: the only bits allowed.
    uint8 public constant PUBLISH_BIT = uint8(1) << uint8(StreamRegistry.Permission.Publish);
    uint8 public constant SUBSCRIBE_BIT = uint8(1) << uint8(StreamRegistry.Permission.Subscribe);

    /// @notice The message verifier whose digest and domain apply.
    StreamMessageVerifier public immutable messages;
    /// @notice Its registry, where the signers' rights are read.
    StreamRegistry public immutable registry;

    constructor(StreamMessageVerifier messages_) {
        messages = messages_;
        registry = messages_.registry();
    }

    /// @notice The digest a holder signs for `delegation`.
    function hashDelegation(Delegation calldata delegation) public view returns (bytes32) {
        uint256 count = delegation.streamIds.length;
        bytes32[] memory streamHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; i++) {
            streamHashes[i] = keccak256(bytes(delegation.streamIds[i]));
        }
        bytes32 structHash = keccak256(
            abi.encode(
                DELEGATION_TYPEHASH,
                delegation.delegate,
                keccak256(abi.encodePacked(streamHashes)),
                delegation.permissions,
                delegation.expiresAt,
                delegation.salt
            )
        );
        return MessageHashUtils.toTypedDataHash(messages.domainSeparator(), structHash);
    }

    /// @notice The digest an issuer signs for `grant`.
    function hashAccessGrant(AccessGrant calldata grant) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                ACCESS_GRANT_TYPEHASH,
                grant.grantee,
                keccak256(bytes(grant.streamId)),
                grant.permissions,
                grant.expiresAt,
                grant.salt
            )
        );
        return MessageHashUtils.toTypedDataHash(messages.domainSeparator(), structHash);
    }

    /// @notice Whether `message`, signed by a session key, may be accepted under `delegation`:
    /// the message is well formed (`StreamMessageVerifier.isWellFormed`), its signature is the
    /// delegate's, the delegation is `message.publisher`'s (the holder), it lists the stream and sets Publish (and no bit but Publish and Subscribe), the
    /// message's timestamp (ms) is before its `expiresAt` (s), and the holder holds Publish now,
    /// beyond the timestamp. Clock skew and duplicates are the subscriber's to check.
    function mayPublishDelegated(
        StreamMessageVerifier.StreamMessage calldata message,
        bytes calldata signature,
        Delegation calldata delegation,
        bytes calldata delegationSignature
    ) external view returns (bool) {
        if (!messages.isWellFormed(message)) return false;
        if (!_allows(delegation.permissions, delegation.expiresAt, message.timestamp)) return false;
        if (!_lists(delegation.streamIds, message.streamId)) return false;
        if (_recover(messages.hashStreamMessage(message), signature) != delegation.delegate) return false;
        if (_recover(hashDelegation(delegation), delegationSignature) != message.publisher) return false;
        uint256 expiry = messages.publishExpiry(message.streamId, message.publisher);
        return message.timestamp < expiry * 1000;
    }

    /// @notice Whether `message` may be accepted under `grant`, signed by `issuer`: the message is
    /// well formed (`StreamMessageVerifier.isWellFormed`) and signed by its publisher, who is the grantee; the grant is for the message's stream, sets
    /// Publish (and no bit but Publish and Subscribe), and the timestamp is before its
    /// `expiresAt`; the grant is `issuer`'s, and `issuer` holds Grant now, beyond the timestamp.
    function mayPublishGranted(
        StreamMessageVerifier.StreamMessage calldata message,
        bytes calldata signature,
        AccessGrant calldata grant,
        address issuer,
        bytes calldata grantSignature
    ) external view returns (bool) {
        if (!messages.isWellFormed(message)) return false;
        if (!_allows(grant.permissions, grant.expiresAt, message.timestamp)) return false;
        if (keccak256(bytes(grant.streamId)) != keccak256(bytes(message.streamId))) return false;
        if (grant.grantee != message.publisher || !messages.isSignedByPublisher(message, signature)) return false;
        if (issuer == address(0) || _recover(hashAccessGrant(grant), grantSignature) != issuer) return false;
        uint256 expiry = registry.getPermissionsForUser(message.streamId, issuer)[uint256(StreamRegistry.Permission.Grant)];
        return expiry > block.timestamp && message.timestamp < expiry * 1000;
    }

    /// @dev Publish set, no bit but Publish and Subscribe, and `timestamp` (ms) before `expiresAt` (s).
    function _allows(uint8 permissions, uint64 expiresAt, uint64 timestamp) private pure returns (bool) {
        return permissions & PUBLISH_BIT != 0 && permissions & ~(PUBLISH_BIT | SUBSCRIBE_BIT) == 0
            && uint256(timestamp) < uint256(expiresAt) * 1000;
    }

    function _lists(string[] calldata streamIds, string calldata streamId) private pure returns (bool) {
        bytes32 wanted = keccak256(bytes(streamId));
        for (uint256 i = 0; i < streamIds.length; i++) {
            if (keccak256(bytes(streamIds[i])) == wanted) return true;
        }
        return false;
    }

    /// @dev The signer of `digest`, or address(0) for a malformed or non-canonical signature.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, signature);
        return error == ECDSA.RecoverError.NoError ? signer : address(0);
    }
}
