export {
  ephemeralPortRange,
  freePort,
  freePortBlock,
  pickRange,
  type PortRange,
} from './free-ports';
