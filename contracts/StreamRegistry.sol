// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title StreamRegistry
/// @notice Records, for every data stream, which addresses (and the public) may edit, delete,
/// publish to, subscribe to and grant on it, each permission until its own expiry.
/// @dev There is no owner, admin, upgrade proxy or pause: the deployed code is the whole rule.
/// A stream id is `<creator address as lowercase 0x hex><path>` and is compared as exact bytes;
/// clients normalise ids before calling. Storage is keyed by `keccak256(bytes(streamId))`.
///
/// All five expiries of one holder are packed into one word: permission `p` expires at the
/// unix time in bits `40p .. 40p+39`; `0` means not held and `type(uint40).max` means forever.
/// A permission is held while its expiry is later than `block.timestamp`.
///
/// Permissions live under the stream's generation, which deletion bumps. So deletion forgets
/// every holder at once without looping over them, and the current generation of a stream that
/// does not exist holds nobody: the views need no separate existence check.
///
/// Every write has a `…BySig` twin that anyone may send: it carries an EIP-712 signature over
/// the change itself (domain: "StreamRegistry", "1", chain id, this address), and applies the
/// change exactly as if the signer had sent it, through the same internal function taking the
/// acting account. Each signature spends one nonce of its signer, in any order (a bitmap per
/// signer, as Uniswap's Permit2 keeps), and is refused after its deadline. Contract accounts
/// sign with ERC-1271. No forwarder is trusted: `msg.sender` of a signed change is irrelevant.
contract StreamRegistry is EIP712 {
    enum Permission {
        Edit,
        Delete,
        Publish,
        Subscribe,
        Grant
    }

    /// @dev One slot per stream. `createdAtBlock == 0` means the stream does not exist (no
    /// transaction runs in block 0).
    struct Stream {
        uint64 createdAtBlock;
        uint64 generation;
    }

    /// @notice Expiry meaning "held forever".
    uint40 public constant FOREVER = type(uint40).max;
    /// @notice Longest path accepted by `createStream`, in bytes.
    uint256 public constant MAX_PATH_LENGTH = 255;

    uint256 private constant PERMISSION_COUNT = 5;
    uint256 private constant EXPIRY_BITS = 40;
    uint256 private constant EXPIRY_MASK = 0xffffffffff; // type(uint40).max
    /// @dev Every permission set to FOREVER: what a creator gets.
    uint256 private constant ALL_FOREVER = (1 << (PERMISSION_COUNT * EXPIRY_BITS)) - 1;
    /// @dev Bit p set for each permission p that may be held by the public.
    uint256 private constant PUBLIC_PERMISSIONS =
        (1 << uint256(Permission.Publish)) | (1 << uint256(Permission.Subscribe));
    /// @dev Largest valid mask for `revokePermissions`: all five permissions.
    uint8 private constant ALL_PERMISSIONS_MASK = uint8((1 << PERMISSION_COUNT) - 1);
    /// @dev Bit c set for every byte c allowed in a path segment: [A-Za-z0-9._-].
    uint256 private constant SEGMENT_CHARS = (1 << 0x2d) | (1 << 0x2e) | (((1 << 10) - 1) << 0x30)
        | (((1 << 26) - 1) << 0x41) | (1 << 0x5f) | (((1 << 26) - 1) << 0x61);

    /// @notice Who signed a change, and its replay protection; the signature itself is the last
    /// argument of each `…BySig` function: the signer's EIP-712 signature (65-byte ECDSA, or
    /// whatever its ERC-1271 `isValidSignature` accepts) over the change's typed struct, which
    /// ends with these three fields.
    struct SignedBy {
        address signer;
        /// @dev Word `nonce >> 8`, bit `nonce & 0xff` of the signer's `nonceBitmap`.
        uint256 nonce;
        /// @dev Last unix time (inclusive) at which the change may apply.
        uint256 deadline;
    }

    // EIP-712 types of the signed changes (docs/contract.md, "Signed changes"). Each names the
    // change's own fields, so a wallet shows the stream, the holders and the expiries, followed by
    // `address signer,uint256 nonce,uint256 deadline` (`_useSignature` appends those three).
    bytes32 private constant HOLDER_TYPEHASH =
        keccak256("Holder(address user,uint40 edit,uint40 delete,uint40 publish,uint40 subscribe,uint40 grant)");
    bytes32 private constant REVOCATION_TYPEHASH = keccak256("Revocation(address user,uint8 permissions)");
    bytes32 private constant STREAM_HOLDERS_TYPEHASH =
        keccak256("StreamHolders(string streamId,Holder[] holders)Holder(address user,uint40 edit,uint40 delete,uint40 publish,uint40 subscribe,uint40 grant)");
    bytes32 private constant CREATE_STREAM_TYPEHASH =
        keccak256("CreateStream(string path,string metadata,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant UPDATE_STREAM_METADATA_TYPEHASH =
        keccak256("UpdateStreamMetadata(string streamId,string metadata,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant DELETE_STREAM_TYPEHASH =
        keccak256("DeleteStream(string streamId,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant GRANT_PERMISSION_TYPEHASH =
        keccak256("GrantPermission(string streamId,address user,uint8 permission,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant REVOKE_PERMISSION_TYPEHASH =
        keccak256("RevokePermission(string streamId,address user,uint8 permission,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant REVOKE_ALL_PERMISSIONS_FOR_USER_TYPEHASH =
        keccak256("RevokeAllPermissionsForUser(string streamId,address user,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant GRANT_PERMISSIONS_TYPEHASH = keccak256(
        "GrantPermissions(string streamId,Holder[] holders,address signer,uint256 nonce,uint256 deadline)Holder(address user,uint40 edit,uint40 delete,uint40 publish,uint40 subscribe,uint40 grant)"
    );
    bytes32 private constant REVOKE_PERMISSIONS_TYPEHASH = keccak256(
        "RevokePermissions(string streamId,Revocation[] revocations,address signer,uint256 nonce,uint256 deadline)Revocation(address user,uint8 permissions)"
    );
    bytes32 private constant SET_PERMISSIONS_TYPEHASH = keccak256(
        "SetPermissions(string streamId,Holder[] holders,address signer,uint256 nonce,uint256 deadline)Holder(address user,uint40 edit,uint40 delete,uint40 publish,uint40 subscribe,uint40 grant)"
    );
    bytes32 private constant SET_PERMISSIONS_MULTIPLE_STREAMS_TYPEHASH = keccak256(
        "SetPermissionsMultipleStreams(StreamHolders[] streams,address signer,uint256 nonce,uint256 deadline)Holder(address user,uint40 edit,uint40 delete,uint40 publish,uint40 subscribe,uint40 grant)StreamHolders(string streamId,Holder[] holders)"
    );

    mapping(bytes32 streamKey => Stream) private _streams;
    mapping(bytes32 streamKey => string) private _metadata;
    mapping(bytes32 streamKey => mapping(uint64 generation => mapping(address holder => uint256 expiries)))
        private _expiries;

    /// @dev Nonce words by `keccak256(abi.encode(signer, wordPos))`: one hash per signed change
    /// where a nested mapping needs two. Read through `nonceBitmap`.
    mapping(bytes32 signerWord => uint256 bits) private _nonceWords;

    /// @notice A stream was created; its creator's permissions follow in `PermissionsUpdated`.
    event StreamCreated(bytes32 indexed streamKey, string streamId, string metadata);
    /// @notice A stream's metadata was replaced.
    event StreamMetadataUpdated(bytes32 indexed streamKey, string metadata);
    /// @notice A stream and all of its permissions were deleted.
    event StreamDeleted(bytes32 indexed streamKey);
    /// @notice `holder`'s whole state on the stream after a change, packed as in storage.
    /// Emitted only when the stored state changed: a write that leaves a holder's expiries as
    /// they were (revoking what is not held, granting what is already held until that very
    /// expiry, an all-zero entry) writes nothing and emits nothing.
    /// @dev The last such event per holder since the stream's creation is its state, so
    /// `eth_getLogs` filtered by `streamKey` from `getStreamCreationBlock` rebuilds everything.
    event PermissionsUpdated(bytes32 indexed streamKey, address indexed holder, uint256 expiries);
    /// @notice `signer` cancelled the unused nonces whose bits are set in `mask` of word
    /// `wordPos` (only those newly cancelled: bits already spent are not in `mask`).
    event UnorderedNonceInvalidation(address indexed signer, uint256 wordPos, uint256 mask);

    error StreamNotFound(string streamId);
    error StreamAlreadyExists(string streamId);
    error InvalidStreamPath(string path);
    error Unauthorized(string streamId, address account, Permission required);
    error PublicPermissionNotAllowed(Permission permission);
    error LengthMismatch();
    error ExpiryInPast(uint40 expiry);
    error InvalidPermissionMask(uint8 mask);
    /// @notice A signed change sent after its deadline.
    error SignatureExpired(uint256 deadline);
    /// @notice The signer's nonce was already spent (used by a signed change, or cancelled).
    error NonceAlreadyUsed(address signer, uint256 nonce);
    /// @notice The signature is not `signer`'s over this change on this chain and registry.
    error InvalidSignature(address signer);

    constructor() EIP712("StreamRegistry", "1") {}

    // ------------------------------------------------------------------------------ streams

    /// @notice Creates the stream `<caller address><path>` and gives the caller all five
    /// permissions forever.
    /// @dev The id is built from `msg.sender`, so nobody can create a stream under another
    /// address.
    ///
    /// Requirements: `path` valid; the stream does not exist.
    ///
    /// Emits `StreamCreated`, then `PermissionsUpdated` for the caller.
    /// @param path The id's path: starts with "/", at most 255 bytes, segments of
    /// [A-Za-z0-9._-], no segment empty.
    /// @param metadata Free-form metadata, conventionally JSON.
    function createStream(string calldata path, string calldata metadata) external {
        _createStream(msg.sender, path, metadata);
    }

    /// @notice Replaces a stream's metadata.
    ///
    /// Requirements: the stream exists; the caller holds Edit.
    ///
    /// Emits `StreamMetadataUpdated`.
    function updateStreamMetadata(string calldata streamId, string calldata metadata) external {
        _updateStreamMetadata(msg.sender, streamId, _hash(streamId), metadata);
    }

    /// @notice Deletes a stream with all of its permissions, for good: a stream created again
    /// under the same id starts with only its creator's permissions.
    ///
    /// Requirements: the stream exists; the caller holds Delete.
    ///
    /// Emits `StreamDeleted`.
    function deleteStream(string calldata streamId) external {
        _deleteStream(msg.sender, streamId, _hash(streamId));
    }

    /// @notice Whether the stream exists.
    function exists(string calldata streamId) external view returns (bool) {
        return _streams[_hash(streamId)].createdAtBlock != 0;
    }

    /// @notice The stream's metadata; reverts `StreamNotFound` if it does not exist.
    function getStreamMetadata(string calldata streamId) external view returns (string memory) {
        return _metadata[_existingKey(streamId)];
    }

    /// @notice The block in which the stream's current incarnation was created: where a
    /// rebuild of its permissions from `PermissionsUpdated` logs starts. Reverts
    /// `StreamNotFound` if it does not exist.
    function getStreamCreationBlock(string calldata streamId) external view returns (uint256) {
        return _streams[_existingKey(streamId)].createdAtBlock;
    }

    // ------------------------------------------------------------------------ permission views

    /// @notice `user`'s expiry for each permission, indexed by `Permission`: 0 if never held
    /// (or the stream does not exist); an expiry at or before now means it has expired.
    function getPermissionsForUser(string calldata streamId, address user)
        external
        view
        returns (uint40[5] memory expiries)
    {
        uint256 packed = _holders(_hash(streamId))[user];
        for (uint256 p; p < PERMISSION_COUNT; ++p) {
            expiries[p] = uint40(packed >> (p * EXPIRY_BITS));
        }
    }

    /// @notice Whether `user` holds `permission` now, directly or because the public does.
    /// @dev Public permissions, one rule for the contract, the SDK and the CLI (docs/contract.md,
    /// "Public permissions"): the public holds only Publish and Subscribe, and whether its
    /// permission counts for a user is part of the question. Here it counts; it does not in
    /// `hasDirectPermission`, it does in the CLI's `permission check` unless `--no-public`, and
    /// in the SDK's `hasPermission` only with `allowPublic: true`.
    function hasPermission(string calldata streamId, address user, Permission permission)
        external
        view
        returns (bool)
    {
        mapping(address => uint256) storage holders = _holders(_hash(streamId));
        return _holds(holders[user], permission)
            || (_isPublicPermission(permission) && _holds(holders[address(0)], permission));
    }

    /// @notice Whether `user` itself holds `permission` now, ignoring public permissions
    /// (see `hasPermission` for the rule).
    function hasDirectPermission(string calldata streamId, address user, Permission permission)
        external
        view
        returns (bool)
    {
        return _holds(_holders(_hash(streamId))[user], permission);
    }

    /// @notice Whether the public (everyone) holds `permission` now.
    function hasPublicPermission(string calldata streamId, Permission permission) external view returns (bool) {
        return _holds(_holders(_hash(streamId))[address(0)], permission);
    }

    // ----------------------------------------------------------------------- permission writes

    /// @notice Grants `permission` to `user` (`address(0)`: the public) forever.
    ///
    /// Requirements: the stream exists; the caller holds Grant; the public only Publish or Subscribe.
    ///
    /// Emits `PermissionsUpdated` unless `user` already held `permission` forever (then nothing is written).
    function grantPermission(string calldata streamId, address user, Permission permission) external {
        _grantPermission(msg.sender, streamId, _hash(streamId), user, permission);
    }

    /// @notice Revokes `permission` from `user`.
    ///
    /// Requirements: the stream exists; the caller holds Grant, or is `user` (anyone may renounce).
    ///
    /// Emits `PermissionsUpdated` unless `user` had no expiry stored for `permission` (then
    /// nothing is written: a revoke of nothing costs no storage and no log).
    function revokePermission(string calldata streamId, address user, Permission permission) external {
        _revoke(msg.sender, streamId, _hash(streamId), user, uint8(1 << uint8(permission)));
    }

    /// @notice Revokes all five permissions from `user`.
    ///
    /// Requirements: the stream exists; the caller holds Grant, or is `user`.
    ///
    /// Emits `PermissionsUpdated` unless `user` had nothing stored (then nothing is written).
    function revokeAllPermissionsForUser(string calldata streamId, address user) external {
        _revoke(msg.sender, streamId, _hash(streamId), user, ALL_PERMISSIONS_MASK);
    }

    /// @notice For each `users[i]`, sets every permission whose entry in `expiries[i]` is
    /// non-zero to exactly that expiry (it may shorten one) and leaves the others as they are.
    /// One transaction for many holders.
    ///
    /// Requirements: equal lengths; the stream exists; the caller holds Grant; the public only
    /// Publish or Subscribe; every non-zero expiry later than `block.timestamp`.
    ///
    /// Emits `PermissionsUpdated` for each entry that changes its holder's expiries, none for the others.
    function grantPermissions(string calldata streamId, address[] calldata users, uint40[5][] calldata expiries)
        external
    {
        _grantPermissions(msg.sender, streamId, _hash(streamId), users, expiries);
    }

    /// @notice For each `users[i]`, clears every permission `p` whose bit `1 << p` is set in
    /// `masks[i]`.
    ///
    /// Requirements: equal lengths; the stream exists; every mask at most 0x1f; the caller holds
    /// Grant (as it was at the start of the call) for every holder other than itself.
    ///
    /// Emits `PermissionsUpdated` for each entry that clears a stored expiry, none for the others.
    function revokePermissions(string calldata streamId, address[] calldata users, uint8[] calldata masks) external {
        _revokePermissions(msg.sender, streamId, _hash(streamId), users, masks);
    }

    /// @notice For each `users[i]`, overwrites all five permissions with `expiries[i]`
    /// (0: not held).
    ///
    /// Requirements: as `grantPermissions`.
    ///
    /// Emits `PermissionsUpdated` for each entry that changes its holder's expiries, none for the others.
    function setPermissions(string calldata streamId, address[] calldata users, uint40[5][] calldata expiries)
        external
    {
        _setPermissions(msg.sender, streamId, _hash(streamId), users, expiries);
    }

    /// @notice `setPermissions` for several streams in one transaction: entry `s` of each
    /// array applies to `streamIds[s]`.
    ///
    /// Requirements: equal outer lengths; as `setPermissions` on every stream; any failure reverts all.
    ///
    /// Emits what `setPermissions` emits, stream by stream.
    function setPermissionsMultipleStreams(
        string[] calldata streamIds,
        address[][] calldata users,
        uint40[5][][] calldata expiries
    ) external {
        _setPermissionsMultipleStreams(msg.sender, streamIds, users, expiries);
    }

    // ----------------------------------------------------------------------- signed changes
    //
    // Each applies its direct twin's change as `by.signer`, after `_useSignature`.
    // Requirements, in order: batch lengths equal (else `LengthMismatch`); `block.timestamp <=
    // by.deadline` (else `SignatureExpired`); `by.nonce` unspent (else `NonceAlreadyUsed`);
    // `signature` is `by.signer`'s over the change's EIP-712 struct on this chain and registry
    // (else `InvalidSignature`); then the twin's requirements with `by.signer` as the caller.
    // Emits what the twin emits. A refused change spends no nonce.

    /// @notice `createStream` signed by `by.signer`: creates `<signer><path>`.
    /// EIP-712: `CreateStream(string path,string metadata,address signer,uint256 nonce,uint256 deadline)`.
    function createStreamBySig(string calldata path, string calldata metadata, SignedBy calldata by, bytes calldata signature) external {
        address signer = _useSignature(by, signature, abi.encode(CREATE_STREAM_TYPEHASH, _hash(path), _hash(metadata)));
        _createStream(signer, path, metadata);
    }

    /// @notice `updateStreamMetadata` signed by `by.signer`.
    /// EIP-712: `UpdateStreamMetadata(string streamId,string metadata,address signer,uint256 nonce,uint256 deadline)`.
    function updateStreamMetadataBySig(string calldata streamId, string calldata metadata, SignedBy calldata by, bytes calldata signature) external {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(UPDATE_STREAM_METADATA_TYPEHASH, key, _hash(metadata)));
        _updateStreamMetadata(signer, streamId, key, metadata);
    }

    /// @notice `deleteStream` signed by `by.signer`.
    /// EIP-712: `DeleteStream(string streamId,address signer,uint256 nonce,uint256 deadline)`.
    function deleteStreamBySig(string calldata streamId, SignedBy calldata by, bytes calldata signature) external {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(DELETE_STREAM_TYPEHASH, key));
        _deleteStream(signer, streamId, key);
    }

    /// @notice `grantPermission` signed by `by.signer`.
    /// EIP-712: `GrantPermission(string streamId,address user,uint8 permission,address signer,uint256 nonce,uint256 deadline)`.
    function grantPermissionBySig(string calldata streamId, address user, Permission permission, SignedBy calldata by, bytes calldata signature)
        external
    {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(GRANT_PERMISSION_TYPEHASH, key, user, permission));
        _grantPermission(signer, streamId, key, user, permission);
    }

    /// @notice `revokePermission` signed by `by.signer`.
    /// EIP-712: `RevokePermission(string streamId,address user,uint8 permission,address signer,uint256 nonce,uint256 deadline)`.
    function revokePermissionBySig(string calldata streamId, address user, Permission permission, SignedBy calldata by, bytes calldata signature)
        external
    {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(REVOKE_PERMISSION_TYPEHASH, key, user, permission));
        _revoke(signer, streamId, key, user, uint8(1 << uint8(permission)));
    }

    /// @notice `revokeAllPermissionsForUser` signed by `by.signer`.
    /// EIP-712: `RevokeAllPermissionsForUser(string streamId,address user,address signer,uint256 nonce,uint256 deadline)`.
    function revokeAllPermissionsForUserBySig(string calldata streamId, address user, SignedBy calldata by, bytes calldata signature) external {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(REVOKE_ALL_PERMISSIONS_FOR_USER_TYPEHASH, key, user));
        _revoke(signer, streamId, key, user, ALL_PERMISSIONS_MASK);
    }

    /// @notice `grantPermissions` signed by `by.signer`; entry `i` is `Holder(users[i], expiries[i]...)`.
    /// EIP-712: `GrantPermissions(string streamId,Holder[] holders,address signer,uint256 nonce,uint256 deadline)`
    /// with `Holder(address user,uint40 edit,uint40 delete,uint40 publish,uint40 subscribe,uint40 grant)`.
    function grantPermissionsBySig(
        string calldata streamId,
        address[] calldata users,
        uint40[5][] calldata expiries,
        SignedBy calldata by,
        bytes calldata signature
    ) external {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(GRANT_PERMISSIONS_TYPEHASH, key, _hashHolders(users, expiries)));
        _grantPermissions(signer, streamId, key, users, expiries);
    }

    /// @notice `revokePermissions` signed by `by.signer`; entry `i` is `Revocation(users[i], masks[i])`.
    /// EIP-712: `RevokePermissions(string streamId,Revocation[] revocations,address signer,uint256 nonce,uint256 deadline)`
    /// with `Revocation(address user,uint8 permissions)`.
    function revokePermissionsBySig(
        string calldata streamId,
        address[] calldata users,
        uint8[] calldata masks,
        SignedBy calldata by,
        bytes calldata signature
    ) external {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(REVOKE_PERMISSIONS_TYPEHASH, key, _hashRevocations(users, masks)));
        _revokePermissions(signer, streamId, key, users, masks);
    }

    /// @notice `setPermissions` signed by `by.signer`; entries as in `grantPermissionsBySig`.
    /// EIP-712: `SetPermissions(string streamId,Holder[] holders,address signer,uint256 nonce,uint256 deadline)`.
    function setPermissionsBySig(
        string calldata streamId,
        address[] calldata users,
        uint40[5][] calldata expiries,
        SignedBy calldata by,
        bytes calldata signature
    ) external {
        bytes32 key = _hash(streamId);
        address signer = _useSignature(by, signature, abi.encode(SET_PERMISSIONS_TYPEHASH, key, _hashHolders(users, expiries)));
        _setPermissions(signer, streamId, key, users, expiries);
    }

    /// @notice `setPermissionsMultipleStreams` signed by `by.signer`; stream `s` is
    /// `StreamHolders(streamIds[s], holders of users[s] and expiries[s])`.
    /// EIP-712: `SetPermissionsMultipleStreams(StreamHolders[] streams,address signer,uint256 nonce,uint256 deadline)`
    /// with `StreamHolders(string streamId,Holder[] holders)`.
    function setPermissionsMultipleStreamsBySig(
        string[] calldata streamIds,
        address[][] calldata users,
        uint40[5][][] calldata expiries,
        SignedBy calldata by,
        bytes calldata signature
    ) external {
        address signer = _useSignature(by, signature, abi.encode(SET_PERMISSIONS_MULTIPLE_STREAMS_TYPEHASH, _hashStreamHolders(streamIds, users, expiries)));
        _setPermissionsMultipleStreams(signer, streamIds, users, expiries);
    }

    /// @notice Bit `b` of word `wordPos` is set once the signer's nonce `(wordPos << 8) | b` is
    /// spent, by a signed change or by `invalidateUnorderedNonces`. Named as in Permit2.
    function nonceBitmap(address signer, uint256 wordPos) external view returns (uint256) {
        return _nonceWords[_nonceWord(signer, wordPos)];
    }

    /// @notice Cancels the caller's unused nonces `(wordPos << 8) | b` for every bit `b` set in
    /// `mask`: signed changes carrying them will be refused `NonceAlreadyUsed`. Named as in Permit2.
    ///
    /// Emits `UnorderedNonceInvalidation` with the bits newly cancelled, unless there are none
    /// (every bit of `mask` already spent: nothing is written).
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external {
        bytes32 word = _nonceWord(msg.sender, wordPos);
        uint256 old = _nonceWords[word];
        uint256 cancelled = mask & ~old;
        if (cancelled == 0) return;
        _nonceWords[word] = old | cancelled;
        emit UnorderedNonceInvalidation(msg.sender, wordPos, cancelled);
    }

    // ------------------------------------------------------------------------------- internals

    function _createStream(address account, string calldata path, string calldata metadata) private {
        string memory streamId = _streamIdOf(account, path);
        bytes32 key = keccak256(bytes(streamId));
        Stream storage stream = _streams[key];
        if (stream.createdAtBlock != 0) revert StreamAlreadyExists(streamId);
        stream.createdAtBlock = uint64(block.number);
        // Deletion cleared the metadata, so an empty one needs no write.
        if (bytes(metadata).length != 0) _metadata[key] = metadata;
        _expiries[key][stream.generation][account] = ALL_FOREVER;
        emit StreamCreated(key, streamId, metadata);
        emit PermissionsUpdated(key, account, ALL_FOREVER);
    }

    function _updateStreamMetadata(address account, string calldata streamId, bytes32 key, string calldata metadata) private {
        _authorize(account, streamId, key, Permission.Edit);
        _metadata[key] = metadata;
        emit StreamMetadataUpdated(key, metadata);
    }

    function _deleteStream(address account, string calldata streamId, bytes32 key) private {
        _authorize(account, streamId, key, Permission.Delete);
        Stream storage stream = _streams[key];
        stream.createdAtBlock = 0;
        ++stream.generation;
        delete _metadata[key];
        emit StreamDeleted(key);
    }

    function _grantPermission(address account, string calldata streamId, bytes32 key, address user, Permission permission)
        private
    {
        mapping(address => uint256) storage holders = _authorize(account, streamId, key, Permission.Grant);
        // FOREVER cannot be in the past here: the caller's Grant, at most FOREVER, is still held.
        if (user == address(0) && !_isPublicPermission(permission)) revert PublicPermissionNotAllowed(permission);
        uint256 old = holders[user];
        _store(key, holders, user, old, _withExpiry(old, permission, FOREVER));
    }

    function _grantPermissions(
        address account,
        string calldata streamId,
        bytes32 key,
        address[] calldata users,
        uint40[5][] calldata expiries
    ) private {
        if (users.length != expiries.length) revert LengthMismatch();
        mapping(address => uint256) storage holders = _authorize(account, streamId, key, Permission.Grant);
        for (uint256 i; i < users.length; ++i) {
            address user = users[i];
            (uint256 granted, uint256 fields) = _packGrantable(user, expiries[i]);
            uint256 old = holders[user];
            _store(key, holders, user, old, (old & ~fields) | granted);
        }
    }

    function _revokePermissions(
        address account,
        string calldata streamId,
        bytes32 key,
        address[] calldata users,
        uint8[] calldata masks
    ) private {
        if (users.length != masks.length) revert LengthMismatch();
        mapping(address => uint256) storage holders = _existing(streamId, key);
        bool callerMayGrant = _holds(holders[account], Permission.Grant);
        for (uint256 i; i < users.length; ++i) {
            _revokeFrom(account, streamId, key, holders, callerMayGrant, users[i], masks[i]);
        }
    }

    function _setPermissionsMultipleStreams(
        address account,
        string[] calldata streamIds,
        address[][] calldata users,
        uint40[5][][] calldata expiries
    ) private {
        if (streamIds.length != users.length || streamIds.length != expiries.length) revert LengthMismatch();
        for (uint256 s; s < streamIds.length; ++s) {
            _setPermissions(account, streamIds[s], _hash(streamIds[s]), users[s], expiries[s]);
        }
    }

    function _setPermissions(
        address account,
        string calldata streamId,
        bytes32 key,
        address[] calldata users,
        uint40[5][] calldata expiries
    ) private {
        if (users.length != expiries.length) revert LengthMismatch();
        mapping(address => uint256) storage holders = _authorize(account, streamId, key, Permission.Grant);
        for (uint256 i; i < users.length; ++i) {
            address user = users[i];
            (uint256 packed,) = _packGrantable(user, expiries[i]);
            _store(key, holders, user, holders[user], packed);
        }
    }

    function _revoke(address account, string calldata streamId, bytes32 key, address user, uint8 mask) private {
        mapping(address => uint256) storage holders = _existing(streamId, key);
        bool callerMayGrant = user == account || _holds(holders[account], Permission.Grant);
        _revokeFrom(account, streamId, key, holders, callerMayGrant, user, mask);
    }

    /// @dev Anyone may renounce their own permissions; revoking another's needs Grant.
    function _revokeFrom(
        address account,
        string calldata streamId,
        bytes32 key,
        mapping(address => uint256) storage holders,
        bool callerMayGrant,
        address user,
        uint8 mask
    ) private {
        if (mask > ALL_PERMISSIONS_MASK) revert InvalidPermissionMask(mask);
        if (user != account && !callerMayGrant) revert Unauthorized(streamId, account, Permission.Grant);
        uint256 cleared;
        for (uint256 p; p < PERMISSION_COUNT; ++p) {
            if (mask & (1 << p) != 0) cleared |= EXPIRY_MASK << (p * EXPIRY_BITS);
        }
        uint256 old = holders[user];
        _store(key, holders, user, old, old & ~cleared);
    }

    /// @dev Stores `user`'s new expiries and says so, unless they equal the `old` ones: a write
    /// that changes nothing must cost nothing and tell nobody (no slot write, no log, no cache
    /// of the stream flushed by a free self-revocation).
    function _store(bytes32 key, mapping(address => uint256) storage holders, address user, uint256 old, uint256 packed)
        private
    {
        if (packed == old) return;
        holders[user] = packed;
        emit PermissionsUpdated(key, user, packed);
    }

    /// @dev Resolves a stream that must exist, and checks that `account` holds `required`.
    function _authorize(address account, string calldata streamId, bytes32 key, Permission required)
        private
        view
        returns (mapping(address => uint256) storage holders)
    {
        holders = _existing(streamId, key);
        if (!_holds(holders[account], required)) revert Unauthorized(streamId, account, required);
    }

    /// @dev Checks a signed change's deadline, spends its nonce and checks its signature, in that
    /// order (Permit2's); returns the signer. `change` is `abi.encode(typehash, fields...)`, the
    /// struct's encoding up to `signer, nonce, deadline`, which are appended here from `by`.
    /// An EOA's signature is tried first, so the common case pays no EXTCODESIZE; only a signature
    /// that is not the signer's key's is asked of the signer as an ERC-1271 wallet (Solady's
    /// SignatureCheckerLib does the same). `signer` is in every struct, so one key owning two
    /// contract wallets cannot replay one's change as the other's.
    function _useSignature(SignedBy calldata by, bytes calldata signature, bytes memory change)
        private
        returns (address signer)
    {
        uint256 nonce;
        uint256 deadline;
        (signer, nonce, deadline) = (by.signer, by.nonce, by.deadline);
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        bytes32 word = _nonceWord(signer, nonce >> 8);
        uint256 bits = _nonceWords[word];
        uint256 bit = 1 << (nonce & 0xff);
        if (bits & bit != 0) revert NonceAlreadyUsed(signer, nonce);
        _nonceWords[word] = bits | bit;
        bytes32 structHash;
        assembly ("memory-safe") {
            // `change` is the latest allocation, a whole number of words: the three words after
            // it are free memory, used here without being kept.
            let end := add(add(change, 0x20), mload(change))
            mstore(end, signer)
            mstore(add(end, 0x20), nonce)
            mstore(add(end, 0x40), deadline)
            structHash := keccak256(add(change, 0x20), add(mload(change), 0x60))
        }
        bytes32 digest = _hashTypedDataV4(structHash);
        if (!_isKeySignature(signer, digest, signature) && !SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature)) {
            revert InvalidSignature(signer);
        }
    }

    function _nonceWord(address signer, uint256 wordPos) private pure returns (bytes32 word) {
        assembly ("memory-safe") {
            mstore(0x00, signer)
            mstore(0x20, wordPos)
            word := keccak256(0x00, 0x40)
        }
    }

    /// @dev `keccak256(bytes(text))` without keeping a copy in memory: a stream's storage key, and how
    /// EIP-712 hashes a string.
    function _hash(string calldata text) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let copy := mload(0x40)
            calldatacopy(copy, text.offset, text.length)
            hash := keccak256(copy, text.length)
        }
    }

    /// @dev Whether `signature` is `signer`'s ECDSA signature of `digest`: 65 bytes `r, s, v`, or
    /// 64 bytes `r, yParity << 255 | s` (ERC-2098, one word less of calldata, which the SDK
    /// sends for EOAs); `s` in the lower half, as OpenZeppelin's ECDSA requires. Assembly in the
    /// scratch space: this runs for every signed change, and ECDSA.tryRecoverCalldata's general
    /// path costs a few hundred gas more.
    function _isKeySignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool valid) {
        uint256 length = signature.length;
        if (length != 64 && length != 65) return false;
        assembly ("memory-safe") {
            let freeMemory := mload(0x40)
            let s := calldataload(add(signature.offset, 0x20))
            let v := byte(0, calldataload(add(signature.offset, 0x40)))
            if eq(length, 64) {
                v := add(27, shr(255, s))
                s := and(s, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
            }
            if iszero(gt(s, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0)) {
                mstore(0x00, digest)
                mstore(0x20, v)
                mstore(0x40, calldataload(signature.offset))
                mstore(0x60, s)
                // ecrecover answers no data for an invalid signature (the call itself succeeds).
                // Yul evaluates arguments right to left: the call must come first, on its own.
                pop(staticcall(gas(), 1, 0x00, 0x80, 0x00, 0x20))
                valid := and(eq(returndatasize(), 0x20), eq(mload(0x00), signer))
            }
            mstore(0x40, freeMemory)
            mstore(0x60, 0)
        }
    }

    /// @dev EIP-712 `hashStruct` of the `Holder[]` made of `users[i]` and `expiries[i]`. Assembly
    /// because it runs per entry of every signed batch: each entry's encoding is the typehash,
    /// the user and the five expiries as they lie in calldata. Values that are not an address or
    /// a uint40 are hashed as they are and then refused by the write, as the ABI decoder would.
    function _hashHolders(address[] calldata users, uint40[5][] calldata expiries) private pure returns (bytes32 hash) {
        if (users.length != expiries.length) revert LengthMismatch();
        bytes32 typehash = HOLDER_TYPEHASH;
        assembly ("memory-safe") {
            let hashes := mload(0x40)
            let entry := add(hashes, shl(5, users.length))
            mstore(entry, typehash)
            for { let i := 0 } lt(i, users.length) { i := add(i, 1) } {
                mstore(add(entry, 0x20), calldataload(add(users.offset, shl(5, i))))
                calldatacopy(add(entry, 0x40), add(expiries.offset, mul(i, 0xa0)), 0xa0)
                mstore(add(hashes, shl(5, i)), keccak256(entry, 0xe0))
            }
            hash := keccak256(hashes, shl(5, users.length))
        }
    }

    /// @dev EIP-712 `hashStruct` of the `Revocation[]` made of `users[i]` and `masks[i]`, as `_hashHolders`.
    function _hashRevocations(address[] calldata users, uint8[] calldata masks) private pure returns (bytes32 hash) {
        if (users.length != masks.length) revert LengthMismatch();
        bytes32 typehash = REVOCATION_TYPEHASH;
        assembly ("memory-safe") {
            let hashes := mload(0x40)
            let entry := add(hashes, shl(5, users.length))
            mstore(entry, typehash)
            for { let i := 0 } lt(i, users.length) { i := add(i, 1) } {
                mstore(add(entry, 0x20), calldataload(add(users.offset, shl(5, i))))
                mstore(add(entry, 0x40), calldataload(add(masks.offset, shl(5, i))))
                mstore(add(hashes, shl(5, i)), keccak256(entry, 0x60))
            }
            hash := keccak256(hashes, shl(5, users.length))
        }
    }

    /// @dev EIP-712 `hashStruct` of the `StreamHolders[]` of a multi-stream set.
    function _hashStreamHolders(
        string[] calldata streamIds,
        address[][] calldata users,
        uint40[5][][] calldata expiries
    ) private pure returns (bytes32) {
        if (streamIds.length != users.length || streamIds.length != expiries.length) revert LengthMismatch();
        bytes32[] memory hashes = new bytes32[](streamIds.length);
        for (uint256 s; s < streamIds.length; ++s) {
            hashes[s] = keccak256(
                abi.encode(STREAM_HOLDERS_TYPEHASH, _hash(streamIds[s]), _hashHolders(users[s], expiries[s]))
            );
        }
        return keccak256(abi.encodePacked(hashes));
    }

    /// @dev The current generation's holders of the stream whose key is `key`, `_hash(streamId)`
    /// (a signed change has it already, from its EIP-712 struct); reverts if it does not exist.
    function _existing(string calldata streamId, bytes32 key)
        private
        view
        returns (mapping(address => uint256) storage holders)
    {
        Stream storage stream = _streams[key];
        if (stream.createdAtBlock == 0) revert StreamNotFound(streamId);
        holders = _expiries[key][stream.generation];
    }

    function _existingKey(string calldata streamId) private view returns (bytes32 key) {
        key = _hash(streamId);
        if (_streams[key].createdAtBlock == 0) revert StreamNotFound(streamId);
    }

    /// @dev The current generation's holders, empty for a stream that does not exist.
    function _holders(bytes32 key) private view returns (mapping(address => uint256) storage) {
        return _expiries[key][_streams[key].generation];
    }

    /// @dev Packs one holder's five expiries and returns, in `fields`, the bits of the entries
    /// that are set (non-zero), after checking those: no public Edit/Delete/Grant, none in the
    /// past. The loop is assembly because batches run it for every holder and the checked
    /// Solidity version costs more than the rest of the batch's work.
    function _packGrantable(address user, uint40[5] calldata expiries)
        private
        view
        returns (uint256 packed, uint256 fields)
    {
        uint256 granted; // bit p set when expiry p is non-zero
        uint256 earliest = type(uint256).max;
        assembly ("memory-safe") {
            for { let p := 0 } lt(p, PERMISSION_COUNT) { p := add(p, 1) } {
                let expiry := calldataload(add(expiries, shl(5, p)))
                // What the ABI decoder does for a value that is not a uint40.
                if gt(expiry, EXPIRY_MASK) { revert(0, 0) }
                if expiry {
                    let shift := mul(p, EXPIRY_BITS)
                    granted := or(granted, shl(p, 1))
                    fields := or(fields, shl(shift, EXPIRY_MASK))
                    packed := or(packed, shl(shift, expiry))
                    if lt(expiry, earliest) { earliest := expiry }
                }
            }
        }
        uint256 forbidden = user == address(0) ? granted & ~PUBLIC_PERMISSIONS : 0;
        if (forbidden != 0) revert PublicPermissionNotAllowed(_lowestPermission(forbidden));
        if (earliest <= block.timestamp) revert ExpiryInPast(uint40(earliest));
    }

    function _lowestPermission(uint256 bits) private pure returns (Permission p) {
        while (bits & (1 << uint256(p)) == 0) p = Permission(uint256(p) + 1);
    }

    // `uint256(permission) * EXPIRY_BITS` is at most 160: unchecked, as the compiler cannot know it.
    function _holds(uint256 packed, Permission permission) private view returns (bool) {
        unchecked {
            return (packed >> (uint256(permission) * EXPIRY_BITS)) & EXPIRY_MASK > block.timestamp;
        }
    }

    function _withExpiry(uint256 packed, Permission permission, uint40 expiry) private pure returns (uint256) {
        uint256 shift;
        unchecked {
            shift = uint256(permission) * EXPIRY_BITS;
        }
        return (packed & ~(EXPIRY_MASK << shift)) | (uint256(expiry) << shift);
    }

    function _isPublicPermission(Permission permission) private pure returns (bool) {
        return PUBLIC_PERMISSIONS & (1 << uint256(permission)) != 0;
    }

    /// @dev Validates `path` and returns `<creator as lowercase 0x hex><path>`. Written in
    /// assembly because createStream's gas is dominated by its three new storage slots and
    /// every other operation here is spent per call: one pass over the path, and the 40 hex
    /// digits produced 16 bytes at a time instead of per byte.
    function _streamIdOf(address creator, string calldata path) private pure returns (string memory streamId) {
        uint256 length = bytes(path).length;
        bool valid = length != 0 && length <= MAX_PATH_LENGTH;
        assembly ("memory-safe") {
            // The path starts with "/", every byte is "/" or a segment byte, and no "/" is
            // followed by another "/" or by the end (no empty segment).
            let end := add(path.offset, length)
            let afterSlash := 0
            valid := and(valid, eq(shr(248, calldataload(path.offset)), 0x2f))
            for { let i := path.offset } and(valid, lt(i, end)) { i := add(i, 1) } {
                let c := shr(248, calldataload(i))
                let slash := eq(c, 0x2f)
                valid := and(or(slash, and(shr(c, SEGMENT_CHARS), 1)), iszero(and(slash, afterSlash)))
                afterSlash := slash
            }
            valid := and(valid, iszero(afterSlash))
        }
        if (!valid) revert InvalidStreamPath(path);

        uint256 high = uint160(creator) >> 32; // first 16 bytes of the address
        uint256 low = uint160(creator) & 0xffffffff; // last 4 bytes
        assembly ("memory-safe") {
            streamId := mload(0x40)
            let idLength := add(42, length)
            mstore(streamId, idLength)
            let digits := add(streamId, 34)
            // The low word's 8 digits land at 32..39; the high word then overwrites 0..31.
            mstore(add(digits, 8), _hexDigits(low))
            mstore(digits, _hexDigits(high))
            mstore8(add(streamId, 32), 0x30) // "0"
            mstore8(add(streamId, 33), 0x78) // "x"
            calldatacopy(add(digits, 40), path.offset, length)
            mstore(0x40, and(add(add(streamId, add(idLength, 32)), 31), not(31)))

            // Lowercase hex digits of the 16 bytes in `value`, in one 32-byte word: spread
            // each byte's nibbles into bytes of their own, then map 0-9 and 10-15 to ASCII.
            function _hexDigits(value) -> digitsWord {
                let x := and(or(shl(64, value), value), 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
                x := and(or(shl(32, x), x), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
                x := and(or(shl(16, x), x), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
                x := and(or(shl(8, x), x), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                x := and(or(shl(4, x), x), 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f)
                // A nibble above 9 carries into bit 4 when 6 is added.
                let letters := and(shr(4, add(x, 0x0606060606060606060606060606060606060606060606060606060606060606)), 0x0101010101010101010101010101010101010101010101010101010101010101)
                digitsWord := add(add(x, 0x3030303030303030303030303030303030303030303030303030303030303030), mul(letters, 0x27))
            }
        }
    }
}
