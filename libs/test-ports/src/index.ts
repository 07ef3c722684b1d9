export { ephemeralPortRange, freePort, freePortBlock, type PortRange } from './free-ports';
