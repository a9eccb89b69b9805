// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice For tests only: any call runs until its gas is gone. Named as an ERC-6492 "factory", it makes a
/// signature check cost whatever gas the caller allows.
contract InfiniteLoopMock {
    fallback() external {
        uint256 n;
        while (true) n++;
    }
}
