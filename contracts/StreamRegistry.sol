// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

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
contract StreamRegistry {
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

    mapping(bytes32 streamKey => Stream) private _streams;
    mapping(bytes32 streamKey => string) private _metadata;
    mapping(bytes32 streamKey => mapping(uint64 generation => mapping(address holder => uint256 expiries)))
        private _expiries;

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

    error StreamNotFound(string streamId);
    error StreamAlreadyExists(string streamId);
    error InvalidStreamPath(string path);
    error Unauthorized(string streamId, address account, Permission required);
    error PublicPermissionNotAllowed(Permission permission);
    error LengthMismatch();
    error ExpiryInPast(uint40 expiry);
    error InvalidPermissionMask(uint8 mask);

    // ------------------------------------------------------------------------------ streams

    /// @notice Creates the stream `<caller address><path>` and gives the caller all five
    /// permissions forever.
    /// @dev The id is built from `msg.sender`, so nobody can create a stream under another
    /// address.
    /// @param path The id's path: starts with "/", at most 255 bytes, segments of
    /// [A-Za-z0-9._-], no segment empty.
    /// @param metadata Free-form metadata, conventionally JSON.
    function createStream(string calldata path, string calldata metadata) external {
        string memory streamId = _streamIdOf(msg.sender, path);
        bytes32 key = keccak256(bytes(streamId));
        Stream storage stream = _streams[key];
        if (stream.createdAtBlock != 0) revert StreamAlreadyExists(streamId);
        stream.createdAtBlock = uint64(block.number);
        // Deletion cleared the metadata, so an empty one needs no write.
        if (bytes(metadata).length != 0) _metadata[key] = metadata;
        _expiries[key][stream.generation][msg.sender] = ALL_FOREVER;
        emit StreamCreated(key, streamId, metadata);
        emit PermissionsUpdated(key, msg.sender, ALL_FOREVER);
    }

    /// @notice Replaces a stream's metadata. Needs Edit.
    function updateStreamMetadata(string calldata streamId, string calldata metadata) external {
        (bytes32 key,) = _authorize(streamId, Permission.Edit);
        _metadata[key] = metadata;
        emit StreamMetadataUpdated(key, metadata);
    }

    /// @notice Deletes a stream with all of its permissions, for good: a stream created again
    /// under the same id starts with only its creator's permissions. Needs Delete.
    function deleteStream(string calldata streamId) external {
        (bytes32 key,) = _authorize(streamId, Permission.Delete);
        Stream storage stream = _streams[key];
        stream.createdAtBlock = 0;
        ++stream.generation;
        delete _metadata[key];
        emit StreamDeleted(key);
    }

    /// @notice Whether the stream exists.
    function exists(string calldata streamId) external view returns (bool) {
        return _streams[keccak256(bytes(streamId))].createdAtBlock != 0;
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
        uint256 packed = _holders(keccak256(bytes(streamId)))[user];
        for (uint256 p; p < PERMISSION_COUNT; ++p) {
            expiries[p] = uint40(packed >> (p * EXPIRY_BITS));
        }
    }

    /// @notice Whether `user` holds `permission` now, directly or because the public does.
    function hasPermission(string calldata streamId, address user, Permission permission)
        external
        view
        returns (bool)
    {
        mapping(address => uint256) storage holders = _holders(keccak256(bytes(streamId)));
        return _holds(holders[user], permission)
            || (_isPublicPermission(permission) && _holds(holders[address(0)], permission));
    }

    /// @notice Whether `user` itself holds `permission` now, ignoring public permissions.
    function hasDirectPermission(string calldata streamId, address user, Permission permission)
        external
        view
        returns (bool)
    {
        return _holds(_holders(keccak256(bytes(streamId)))[user], permission);
    }

    /// @notice Whether the public (everyone) holds `permission` now.
    function hasPublicPermission(string calldata streamId, Permission permission) external view returns (bool) {
        return _holds(_holders(keccak256(bytes(streamId)))[address(0)], permission);
    }

    // ----------------------------------------------------------------------- permission writes

    /// @notice Grants `permission` to `user` (`address(0)`: the public) forever.
    ///
    /// Requirements: the stream exists; the caller holds Grant; the public only Publish or Subscribe.
    ///
    /// Emits `PermissionsUpdated` unless `user` already held `permission` forever (then nothing is written).
    function grantPermission(string calldata streamId, address user, Permission permission) external {
        (bytes32 key, mapping(address => uint256) storage holders) = _authorize(streamId, Permission.Grant);
        // FOREVER cannot be in the past here: the caller's Grant, at most FOREVER, is still held.
        if (user == address(0) && !_isPublicPermission(permission)) revert PublicPermissionNotAllowed(permission);
        uint256 old = holders[user];
        _store(key, holders, user, old, _withExpiry(old, permission, FOREVER));
    }

    /// @notice Revokes `permission` from `user`.
    ///
    /// Requirements: the stream exists; the caller holds Grant, or is `user` (anyone may renounce).
    ///
    /// Emits `PermissionsUpdated` unless `user` had no expiry stored for `permission` (then
    /// nothing is written: a revoke of nothing costs no storage and no log).
    function revokePermission(string calldata streamId, address user, Permission permission) external {
        _revoke(streamId, user, uint8(1 << uint8(permission)));
    }

    /// @notice Revokes all five permissions from `user`.
    ///
    /// Requirements: the stream exists; the caller holds Grant, or is `user`.
    ///
    /// Emits `PermissionsUpdated` unless `user` had nothing stored (then nothing is written).
    function revokeAllPermissionsForUser(string calldata streamId, address user) external {
        _revoke(streamId, user, ALL_PERMISSIONS_MASK);
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
        if (users.length != expiries.length) revert LengthMismatch();
        (bytes32 key, mapping(address => uint256) storage holders) = _authorize(streamId, Permission.Grant);
        for (uint256 i; i < users.length; ++i) {
            address user = users[i];
            (uint256 granted, uint256 fields) = _packGrantable(user, expiries[i]);
            uint256 old = holders[user];
            _store(key, holders, user, old, (old & ~fields) | granted);
        }
    }

    /// @notice For each `users[i]`, clears every permission `p` whose bit `1 << p` is set in
    /// `masks[i]`.
    ///
    /// Requirements: equal lengths; the stream exists; every mask at most 0x1f; the caller holds
    /// Grant (as it was at the start of the call) for every holder other than itself.
    ///
    /// Emits `PermissionsUpdated` for each entry that clears a stored expiry, none for the others.
    function revokePermissions(string calldata streamId, address[] calldata users, uint8[] calldata masks) external {
        if (users.length != masks.length) revert LengthMismatch();
        (bytes32 key, mapping(address => uint256) storage holders) = _existing(streamId);
        bool callerMayGrant = _holds(holders[msg.sender], Permission.Grant);
        for (uint256 i; i < users.length; ++i) {
            _revokeFrom(streamId, key, holders, callerMayGrant, users[i], masks[i]);
        }
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
        _setPermissions(streamId, users, expiries);
    }

    /// @notice `setPermissions` for several streams in one transaction: entry `s` of each
    /// array applies to `streamIds[s]`. Needs Grant on every stream; any failure reverts all.
    function setPermissionsMultipleStreams(
        string[] calldata streamIds,
        address[][] calldata users,
        uint40[5][][] calldata expiries
    ) external {
        if (streamIds.length != users.length || streamIds.length != expiries.length) revert LengthMismatch();
        for (uint256 s; s < streamIds.length; ++s) {
            _setPermissions(streamIds[s], users[s], expiries[s]);
        }
    }

    // ------------------------------------------------------------------------------- internals

    function _setPermissions(string calldata streamId, address[] calldata users, uint40[5][] calldata expiries)
        private
    {
        if (users.length != expiries.length) revert LengthMismatch();
        (bytes32 key, mapping(address => uint256) storage holders) = _authorize(streamId, Permission.Grant);
        for (uint256 i; i < users.length; ++i) {
            address user = users[i];
            (uint256 packed,) = _packGrantable(user, expiries[i]);
            _store(key, holders, user, holders[user], packed);
        }
    }

    function _revoke(string calldata streamId, address user, uint8 mask) private {
        (bytes32 key, mapping(address => uint256) storage holders) = _existing(streamId);
        bool callerMayGrant = user == msg.sender || _holds(holders[msg.sender], Permission.Grant);
        _revokeFrom(streamId, key, holders, callerMayGrant, user, mask);
    }

    /// @dev Anyone may renounce their own permissions; revoking another's needs Grant.
    function _revokeFrom(
        string calldata streamId,
        bytes32 key,
        mapping(address => uint256) storage holders,
        bool callerMayGrant,
        address user,
        uint8 mask
    ) private {
        if (mask > ALL_PERMISSIONS_MASK) revert InvalidPermissionMask(mask);
        if (user != msg.sender && !callerMayGrant) revert Unauthorized(streamId, msg.sender, Permission.Grant);
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

    /// @dev Resolves a stream that must exist, and checks that the caller holds `required`.
    function _authorize(string calldata streamId, Permission required)
        private
        view
        returns (bytes32 key, mapping(address => uint256) storage holders)
    {
        (key, holders) = _existing(streamId);
        if (!_holds(holders[msg.sender], required)) revert Unauthorized(streamId, msg.sender, required);
    }

    /// @dev A stream's key and its current generation's holders; reverts if it does not exist.
    function _existing(string calldata streamId)
        private
        view
        returns (bytes32 key, mapping(address => uint256) storage holders)
    {
        key = keccak256(bytes(streamId));
        Stream storage stream = _streams[key];
        if (stream.createdAtBlock == 0) revert StreamNotFound(streamId);
        holders = _expiries[key][stream.generation];
    }

    function _existingKey(string calldata streamId) private view returns (bytes32 key) {
        key = keccak256(bytes(streamId));
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

    function _holds(uint256 packed, Permission permission) private view returns (bool) {
        return (packed >> (uint256(permission) * EXPIRY_BITS)) & EXPIRY_MASK > block.timestamp;
    }

    function _withExpiry(uint256 packed, Permission permission, uint40 expiry) private pure returns (uint256) {
        uint256 shift = uint256(permission) * EXPIRY_BITS;
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
